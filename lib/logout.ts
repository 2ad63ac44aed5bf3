/**
 * RP-initiated logout (the Python SDK's `sign_out()`): ends the local login, sends the browser to IS's end-session
 * endpoint, and recognises IS's return to the logout callback URL.
 */
import * as oidc from 'openid-client';
import type { Debugger } from 'debug';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ResolvedConfig } from './config.js';
import type { IssuerConfiguration } from './discovery.js';
import { Wso2IsError, type Wso2IsErrorCode } from './errors.js';
import { addOneTime, nowSeconds, takeOneTime } from './one-time-states.js';
import { isSafeReturnTo } from './return-to.js';
import { requireSession, stateOf, type StrategySessionState } from './session.js';
import type { SessionIndex, SessionStoreLike } from './session-index.js';
import { revokeTokens } from './refresh.js';
import type { Transport } from './transport.js';

/** What the sign-out, refresh and back-channel parts share with the strategy (one object per strategy). */
export interface LifecycleContext {
  readonly config: ResolvedConfig;
  readonly issuer: IssuerConfiguration;
  readonly transport: Transport;
  readonly log: Debugger;
  /** The strategy's current session index (it may be replaced after construction). */
  index(): SessionIndex;
  /** The last `express-session` store seen at a login, for logouts reaching a route without session middleware. */
  store: SessionStoreLike | undefined;
}

/** Options of {@link Wso2IsStrategy.logout}. */
export interface LogoutOptions {
  /**
   * Revoke the refresh token and the access token at IS's revocation endpoint before leaving. Default false.
   * IS answers a revocation with 200 and an empty body; a failed revocation is logged and does not stop the logout.
   */
  revoke?: boolean;
}

/** Options of {@link Wso2IsStrategy.logoutCallback}. */
export interface LogoutCallbackOptions {
  /** Same-origin path the browser lands on after IS's return. Default `/`. */
  redirect?: string;
  /**
   * Same-origin path for a refused return (missing/foreign/replayed `state`, or IS's logout consent answered "No").
   * Default: `redirect`. The reason is pushed to `req.session.messages` (as passport's `failureMessage` does).
   */
  failureRedirect?: string;
}

type RequestWithPassport = Request & {
  logout?: (options: Record<string, unknown>, done: (err?: unknown) => void) => void;
  session?: Record<string, unknown> & { regenerate?: (cb: (err?: unknown) => void) => void };
  sessionStore?: SessionStoreLike;
};


/** Parameters that make a request a logout return; a login callback (with `code`) is never one. */
const RETURN_PARAMS = ['state', 'error'];

/**
 * Ends the local login: passport's `req.logout()` (0.6+ saves, then regenerates the session) when passport is
 * mounted, else this strategy's tokens are dropped and the session regenerated.
 */
export function endLocalLogin(req: Request, sessionKey: string): Promise<void> {
  const r = req as RequestWithPassport;
  return new Promise<void>((resolve, reject) => {
    const done = (err?: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve());
    if (typeof r.logout === 'function') {
      r.logout({ keepSessionInfo: false }, done);
      return;
    }
    const session = r.session;
    if (session) delete session[sessionKey];
    if (session && typeof session.regenerate === 'function') session.regenerate(done);
    else done();
  });
}

/** Consumes the sign-out of `state`: true when this browser session started it and it has not expired. */
function takeLogout(ns: StrategySessionState | undefined, state: string, ttl: number): boolean {
  if (!ns?.logouts) return false;
  const taken = takeOneTime(ns.logouts, state, ttl);
  if (Object.keys(ns.logouts).length === 0) delete ns.logouts;
  return taken.status === 'found';
}

/** The request handler of {@link Wso2IsStrategy.logout}. */
export function logoutHandler(ctx: LifecycleContext, options: LogoutOptions = {}): RequestHandler {
  if (options === null || typeof options !== 'object') throw new Wso2IsError('CONFIG_INVALID', 'passport-wso2is: logout(options) takes an object such as { revoke: true }');
  if (options.revoke !== undefined && typeof options.revoke !== 'boolean') {
    throw new Wso2IsError('CONFIG_INVALID', `passport-wso2is: logout({ revoke }) must be true or false, got ${JSON.stringify(options.revoke)}`);
  }
  const { config: cfg, log } = ctx;
  const run = async (req: Request, res: Response): Promise<void> => {
    const session = requireSession(req);
    // Read before req.logout(): passport 0.6+ regenerates the session, and the tokens go with the old one.
    const ns = session[cfg.sessionKey] as StrategySessionState | undefined;
    const tokens = ns?.tokens;
    let config: oidc.Configuration | undefined;
    let unavailable: unknown;
    try {
      config = await ctx.issuer.get();
    } catch (err) {
      unavailable = err;
    }
    if (options.revoke && config && tokens) {
      try {
        await revokeTokens(config, tokens);
      } catch (err) {
        log('revocation at logout failed: %s', (err as Error).message);
      }
    }
    // The local login ends whatever IS's state: a user who asked to sign out is signed out here.
    await endLocalLogin(req, cfg.sessionKey);
    if (!config) throw unavailable;

    // client_id always goes along (openid-client adds it): IS checks it against the hint's audience, and it names
    // the application (and so the tenant) when no ID token is at hand.
    const params: Record<string, string> = { client_id: cfg.clientId };
    if (tokens?.idToken) params['id_token_hint'] = tokens.idToken;
    if (cfg.logoutCallbackURL !== undefined) {
      const state = oidc.randomState();
      // The session regenerated by req.logout(): the sign-out's state lives in the new one.
      const fresh = stateOf(requireSession(req), cfg.sessionKey);
      addOneTime((fresh.logouts ??= {}), state, { createdAt: nowSeconds() }, cfg.maxPendingLogins, cfg.pendingLoginTTL);
      params['post_logout_redirect_uri'] = cfg.logoutCallbackURL;
      params['state'] = state;
    }
    log('local login ended, redirecting to IS end-session endpoint (%s)', tokens?.idToken ? 'id_token_hint' : 'client_id');
    res.set('Cache-Control', 'no-store');
    res.redirect(oidc.buildEndSessionUrl(config, params).href);
  };
  return (req: Request, res: Response, next: NextFunction) => {
    run(req, res).catch((err: unknown) => next(err instanceof Error ? err : new Error(String(err))));
  };
}

function checkPath(value: unknown, name: string): string {
  if (!isSafeReturnTo(value)) {
    throw new Wso2IsError('CONFIG_INVALID', `passport-wso2is: logoutCallback({ ${name} }) must be a path on this application such as /signin, got ${JSON.stringify(value)}`);
  }
  const search = new URL(value, 'https://x.invalid').searchParams;
  for (const p of [...RETURN_PARAMS, 'code']) {
    if (search.has(p)) {
      throw new Wso2IsError('CONFIG_INVALID', `passport-wso2is: logoutCallback({ ${name} }) must not carry a "${p}" parameter (the landing page would look like another return from IS)`);
    }
  }
  return value;
}

const MESSAGES: Record<'LOGOUT_STATE_MISMATCH' | 'LOGOUT_DENIED' | 'LOGOUT_FAILED', string> = {
  LOGOUT_STATE_MISMATCH: 'This sign-out response does not match a sign-out started in this browser (its state is missing, unknown, already used or expired: it may be forged or replayed, or the session cookie was lost). It was ignored.',
  LOGOUT_DENIED: 'You are signed out of this application, but the sign-out was cancelled at WSO2 Identity Server: you are still signed in there and in its other applications.',
  LOGOUT_FAILED: 'WSO2 Identity Server could not complete the sign-out.',
};

/** The middleware of {@link Wso2IsStrategy.logoutCallback}. */
export function logoutCallbackHandler(ctx: LifecycleContext, options: LogoutCallbackOptions = {}): RequestHandler {
  if (options === null || typeof options !== 'object') throw new Wso2IsError('CONFIG_INVALID', 'passport-wso2is: logoutCallback(options) takes an object such as { redirect: \'/signin\' }');
  const redirect = checkPath(options.redirect ?? '/', 'redirect');
  const failureRedirect = options.failureRedirect === undefined ? redirect : checkPath(options.failureRedirect, 'failureRedirect');
  const { config: cfg, log } = ctx;
  return (req: Request, res: Response, next: NextFunction) => {
    const url = req.originalUrl ?? req.url ?? '';
    const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    if (query.has('code') || !RETURN_PARAMS.some((p) => query.has(p))) return next();
    let session: ReturnType<typeof requireSession>;
    try {
      session = requireSession(req);
    } catch (err) {
      return next(err);
    }
    const ns = session[cfg.sessionKey] as StrategySessionState | undefined;
    const states = query.getAll('state');
    const state = states.length === 1 ? states[0] : undefined;
    // The same route may also be the login callback: a login's error response is left to passport.authenticate.
    if (state !== undefined && ns?.pending && Object.hasOwn(ns.pending, state)) return next();

    const matched = state !== undefined && takeLogout(ns, state, cfg.pendingLoginTTL);
    const error = query.get('error');
    let code: Wso2IsErrorCode | undefined;
    if (!matched) code = 'LOGOUT_STATE_MISMATCH';
    else if (error === 'access_denied') code = 'LOGOUT_DENIED';
    else if (error !== null) code = 'LOGOUT_FAILED';

    res.set('Cache-Control', 'no-store');
    if (code === undefined) {
      log('returned from IS logout');
      return res.redirect(redirect);
    }
    log('logout return refused: %s', code);
    const message = code === 'LOGOUT_FAILED' && error !== null && /^[a-z_]{1,40}$/.test(error)
      ? `${MESSAGES.LOGOUT_FAILED} (${error})`
      : MESSAGES[code as keyof typeof MESSAGES];
    const messages = Array.isArray(session['messages']) ? (session['messages'] as unknown[]) : [];
    messages.push(message);
    session['messages'] = messages;
    return res.redirect(failureRedirect);
  };
}
