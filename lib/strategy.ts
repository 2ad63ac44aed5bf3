import { createHash } from 'node:crypto';
import { Strategy as PassportStrategy } from 'passport-strategy';
import * as oidc from 'openid-client';
import createDebug from 'debug';
import { decodeJwt } from 'jose';
import type { Request, RequestHandler } from 'express';
import {
  RESERVED_PARAMS,
  parseCallOptions,
  resolveConfig,
  scopeFrom,
  type ResolvedConfig,
} from './config.js';
import type { Wso2IsAuthorizationOptions, Wso2IsOptions } from './options.js';
import { readCallback, type CallbackParams } from './callback-params.js';
import { IssuerConfiguration } from './discovery.js';
import { Wso2IsError, findWso2IsError, type Wso2IsFailure } from './errors.js';
import { addPendingLogin, takePendingLogin, type PendingLogin } from './pending-logins.js';
import { buildProfile, sameSubject, type Wso2IsProfile } from './profile.js';
import { isSafeReturnTo } from './return-to.js';
import { carryAcrossRegeneration, registerSessionKey, requireSession, stateOf, unregisterCarriedHook, type CarriedHook } from './session.js';
import { authorizationFailure, classifyTokenError, cleanText } from './oauth-errors.js';
import { storedTokens, tokensFrom, type StoredTokens, type Wso2IsTokens } from './tokens.js';
import { createTransport, type Transport } from './transport.js';
import { runVerify, type VerifyFunction, type VerifyFunctionWithRequest } from './verify.js';

export type { VerifyCallback, VerifyFunction, VerifyFunctionWithRequest } from './verify.js';
import { logoutCallbackHandler, logoutHandler, type LifecycleContext, type LogoutCallbackOptions, type LogoutOptions } from './logout.js';
import { BackchannelLogout } from './backchannel-logout.js';
import { frontchannelLogoutHandler } from './frontchannel-logout.js';
import { TokenRefresher, revokeTokens, type RefreshOptions } from './refresh.js';
import { MemorySessionIndex, type SessionIndex, type SessionStoreLike } from './session-index.js';

/** Options of one `passport.authenticate('wso2is', options)` call that this strategy reads. */
export interface Wso2IsAuthenticateOptions extends Wso2IsAuthorizationOptions {
  /** Same-origin path to go to after login; handed back as `req.authInfo.returnTo` and `req.session.returnTo`. */
  returnTo?: string;
}

/** The S256 PKCE challenge: node:crypto's SHA-256 is synchronous, where WebCrypto's costs a thread-pool round trip per login. */
function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

const LOGIN_NOT_FOUND_CAUSES = [
  'the session cookie was not sent back (SameSite or Secure cookie settings, especially with response_mode=form_post, or another host name than the one the login started on)',
  'the session store is not shared between the instances of the application',
  'the callback URL was opened directly, bookmarked or reloaded, or the login already completed',
  'the login expired',
];

/**
 * Passport strategy for WSO2 Identity Server and Asgardeo: OpenID Connect authorization code flow with PKCE,
 * `state` and `nonce`, tenant-aware endpoints, the IS certificate trusted by this strategy only, a verified
 * ID token and the IS user's profile.
 *
 * The same route can start the login and receive IS's callback (as in WSO2's samples): a request carrying `code`
 * or `error` is a callback, any other starts a login.
 */
export class Wso2IsStrategy extends PassportStrategy {
  /** Name for `passport.authenticate(name)`; from the `name` option, default `wso2is`. */
  readonly name: string;
  /** The validated configuration. */
  protected readonly config: ResolvedConfig;
  /** The issuer configuration (discovery cache), shared by every request of this strategy. */
  protected readonly issuer: IssuerConfiguration;
  private readonly transport: Transport;
  private readonly verify: VerifyFunction | VerifyFunctionWithRequest;
  private readonly log: createDebug.Debugger;
  /**
   * Where the strategy records which application sessions belong to which IS session (`sid`) and user (`sub`), for
   * back-channel and front-channel logout. Default: a {@link MemorySessionIndex} in this process. Replace it (before
   * the first login) with a shared implementation when several instances of the application serve the same users.
   */
  sessionIndex: SessionIndex = new MemorySessionIndex();
  private readonly lifecycle: LifecycleContext;
  private readonly refresher: TokenRefresher;
  private readonly backchannel: BackchannelLogout;
  /** A login through another strategy gave the session a new id: index this strategy's login under it. */
  private readonly onCarried: CarriedHook = (req, state) => {
    if (state.tokens?.idToken) this.indexSession(req, decodeJwt(state.tokens.idToken));
  };

  /** With `passReqToCallback: true` the verify callback receives the request first. */
  constructor(options: Wso2IsOptions & { passReqToCallback: true }, verify: VerifyFunctionWithRequest);
  constructor(options: Wso2IsOptions, verify: VerifyFunction);
  constructor(options: Wso2IsOptions, verify: VerifyFunction | VerifyFunctionWithRequest) {
    super();
    if (typeof verify !== 'function') {
      throw new Wso2IsError('CONFIG_INVALID', 'passport-wso2is: the second argument must be the verify callback (tokens, profile, done) => ...');
    }
    this.config = resolveConfig(options);
    this.name = this.config.name;
    this.verify = verify;
    this.log = createDebug(`passport-wso2is:${this.name}`);
    this.transport = createTransport(this.config);
    this.issuer = new IssuerConfiguration(this.config, this.transport, this.log);
    registerSessionKey(this.config.sessionKey, this.onCarried);
    this.lifecycle = {
      config: this.config,
      issuer: this.issuer,
      transport: this.transport,
      log: this.log,
      index: () => this.sessionIndex,
      store: undefined,
    };
    this.refresher = new TokenRefresher(this.lifecycle);
    this.backchannel = new BackchannelLogout(this.lifecycle);
  }

  /** Passport entry point: starts a login, or completes one when IS's response is in the request. */
  override authenticate(req: Request, options: Wso2IsAuthenticateOptions = {}): void {
    this.run(req, options ?? {}).catch((err: unknown) => {
      this.error(err instanceof Error ? err : new Error(String(err)));
    });
  }

  /** The tokens of the current login in this session, or undefined when there is none. */
  getTokens(req: Request): StoredTokens | undefined {
    const session = (req as Request & { session?: Record<string, unknown> }).session;
    const state = session?.[this.config.sessionKey] as { tokens?: StoredTokens } | undefined;
    return state?.tokens;
  }

  /**
   * Route handler for sign-out (GET or POST; POST is recommended, so that another site cannot sign users out):
   * ends the local login (`req.logout()`, which passport 0.6+ follows with a new session), then sends the browser
   * to the tenant's end-session endpoint (`/oidc/logout`) with the ID token of the login as `id_token_hint` (or
   * `client_id` when the session holds none), `post_logout_redirect_uri` = `logoutCallbackURL` and a random `state`
   * kept in the new session. Without `logoutCallbackURL`, IS ends on its own "logged out" page.
   *
   * WSO2 quirks: it must be a browser redirect (IS finds its session through its `opbs` cookie); IS accepts the
   * `post_logout_redirect_uri` only when it is registered as a callback URL of the application; IS may ask the user
   * to confirm ("Do you want to logout?"). `{ revoke: true }` revokes the refresh and access tokens first.
   *
   * ```ts
   * app.post('/logout', strategy.logout());
   * ```
   */
  logout(options: LogoutOptions = {}): RequestHandler {
    return logoutHandler(this.lifecycle, options);
  }

  /**
   * Middleware for the logout callback URL: recognises IS's return (a `state` or `error` parameter and no `code`),
   * checks the `state` (once), and redirects to `redirect` (default `/`). A missing, foreign, replayed or expired
   * `state`, or `error=access_denied` (the user answered "No" on IS's logout consent page), lands on
   * `failureRedirect` (default `redirect`) with the reason in `req.session.messages`; never another site, never a
   * loop. Any other request goes to `next()`, so the same route can render the sign-in page.
   *
   * ```ts
   * app.get('/signin', strategy.logoutCallback({ redirect: '/signin?signedOut=1' }), renderSignIn);
   * ```
   */
  logoutCallback(options: LogoutCallbackOptions = {}): RequestHandler {
    return logoutCallbackHandler(this.lifecycle, options);
  }

  /**
   * Route handler for OpenID Connect Back-Channel Logout: register its URL as the application's back-channel logout
   * URL in IS. IS POSTs a form-urlencoded `logout_token` when an IS session ends (a logout from any application of
   * that session, or an administrator terminating it). The token is verified with `jose` against the tenant JWKS
   * (fetched through this strategy's transport, trusting the IS certificate) with the pinned `idTokenSigningAlg`:
   * `iss`, `aud` (the client id), `iat` at most 5 minutes old (plus `clockTolerance`), `exp`, the back-channel
   * `events` member, `sid` or `sub`, no `nonce`, a `typ` of `logout+jwt` (or plain `JWT`, as IS signs them) when
   * present, and a `jti` not seen before.
   * Then every application session of that `sid` (or, without one, of that `sub`) is destroyed in the
   * `express-session` store, found through {@link sessionIndex}; their next request is anonymous.
   *
   * Answers 200 on success, 400 with `{ error, error_description, code }` otherwise (`code` `LOGOUT_TOKEN_INVALID` for
   * a refused token, `LOGOUT_FAILED` when the keys or the session store failed), always `Cache-Control: no-store`.
   * No body parser is needed (an `express.urlencoded()` mounted before it works too).
   *
   * ```ts
   * app.post('/backchannel-logout', strategy.backchannelLogout());
   * ```
   */
  backchannelLogout(): RequestHandler {
    return this.backchannel.handler();
  }

  /**
   * Route handler for OpenID Connect Front-Channel Logout: register its URL as the application's front-channel
   * logout URL in IS. When an IS session ends, IS's logout page loads it in a hidden iframe with `?iss=&sid=`; when
   * `iss` is the configured issuer, every application session of that IS session (`sid`) ends (found through
   * {@link sessionIndex}, and the request's own session when the iframe carries its cookie). Answers a small HTML
   * page that IS may frame (`Content-Security-Policy: frame-ancestors` the IS origin), 400 when `iss` or `sid` is
   * missing or `iss` is another issuer; always `Cache-Control: no-store`. Prefer back-channel logout where IS can
   * reach the application: browsers may block third-party cookies and iframes.
   *
   * ```ts
   * app.get('/frontchannel-logout', strategy.frontchannelLogout());
   * ```
   */
  frontchannelLogout(): RequestHandler {
    return frontchannelLogoutHandler(this.lifecycle);
  }

  /**
   * Refreshes the session's access token when it expires within `margin` seconds (default 60), and returns the
   * session's tokens (updated in the session), or `undefined` when the session has no login. Tokens without an
   * expiry (IS always sends `expires_in`) are refreshed only with `force: true`. Concurrent requests
   * of one session share one refresh. IS returns the same refresh token unless "renew refresh token" is on for the
   * application; both are handled. A returned ID token must name the same issuer and subject as the login's
   * (allowing IS's bug of dropping the tenant domain from `sub`).
   *
   * Rejects with a {@link Wso2IsError}: `NO_REFRESH_TOKEN` (status 401) when a refresh is due but IS issued no
   * refresh token (the Refresh Token grant is off for the application), `REFRESH_FAILED` (401 for `invalid_grant`:
   * expired, revoked, or the IS session ended; 502 otherwise). Sign the user in again on a 401.
   */
  refresh(req: Request, options: RefreshOptions = {}): Promise<StoredTokens | undefined> {
    return this.refresher.refresh(req, options);
  }

  /**
   * Middleware form of {@link refresh}: `app.use('/api', strategy.refreshTokens({ margin: 120 }))`. Passes
   * `NO_REFRESH_TOKEN` and `REFRESH_FAILED` errors (status 401) to `next(err)`.
   */
  refreshTokens(options: RefreshOptions = {}): RequestHandler {
    return (req, _res, next) => {
      this.refresh(req, options).then(() => next(), next);
    };
  }

  /**
   * Revokes the session's refresh token and access token at IS's revocation endpoint (`/oauth2/revoke`). The
   * tokens stay in the session (the ID token remains usable as `id_token_hint`) but no longer work at IS.
   * IS answers 200 with an empty body, which is success. Rejects with `REVOKE_FAILED` when IS refuses one.
   */
  async revoke(req: Request): Promise<void> {
    const tokens = this.getTokens(req);
    if (!tokens) return;
    await revokeTokens(await this.issuer.get(), tokens);
  }

  /** Closes this strategy's keep-alive connections to IS (for tests and graceful shutdown). */
  async close(): Promise<void> {
    unregisterCarriedHook(this.config.sessionKey, this.onCarried);
    await this.transport.close();
  }

  /** Records the session of a completed login in the session index (for back-channel and front-channel logout). */
  private indexSession(req: Request, claims: { sid?: unknown; sub?: unknown }): void {
    const r = req as Request & { sessionID?: string; sessionStore?: SessionStoreLike };
    if (r.sessionStore && typeof r.sessionStore.destroy === 'function') this.lifecycle.store = r.sessionStore;
    if (typeof r.sessionID !== 'string' || typeof claims.sub !== 'string') return;
    const sid = typeof claims.sid === 'string' ? claims.sid : undefined;
    const sub = claims.sub;
    Promise.resolve()
      .then(() => this.sessionIndex.add(sid, sub, r.sessionID as string))
      .catch((err: unknown) => this.log('session index write failed: %s', (err as Error).message));
  }

  private async run(req: Request, options: Wso2IsAuthenticateOptions): Promise<void> {
    const read = await readCallback(req);
    if (read.kind === 'none') return this.startLogin(req, options);
    if (read.kind === 'duplicate') {
      return this.refuse({ code: 'DUPLICATE_PARAMETER', message: `The sign-in response repeats the parameter "${read.name}"; it was refused. Sign in again.` });
    }
    return this.completeLogin(req, read.params);
  }

  private async startLogin(req: Request, options: Wso2IsAuthenticateOptions): Promise<void> {
    const session = requireSession(req);
    const call = parseCallOptions(options as Record<string, unknown>);
    if (options.returnTo !== undefined && !isSafeReturnTo(options.returnTo)) {
      throw new Wso2IsError('RETURN_TO_REFUSED', 'returnTo must be a path on this application, such as /account; absolute URLs, //host, /\\host and javascript: are refused', { status: 400 });
    }
    const config = await this.issuer.get();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const params = this.authorizationParams({ ...this.config.authorization, ...call }, {
      state,
      nonce,
      code_challenge: pkceChallenge(codeVerifier),
    });
    const login: Omit<PendingLogin, 'createdAt'> = { codeVerifier, nonce };
    if (options.returnTo !== undefined) login.returnTo = options.returnTo;
    const maxAge = call.maxAge ?? this.config.authorization.maxAge;
    if (maxAge !== undefined) login.maxAge = maxAge;
    addPendingLogin(stateOf(session, this.config.sessionKey), state, login, this.config.maxPendingLogins, this.config.pendingLoginTTL);
    this.log('login started, redirecting to IS');
    this.redirect(oidc.buildAuthorizationUrl(config, params).href);
  }

  /**
   * The authorization request's parameters. Overridable to add parameters; the strategy's own (`state`, `nonce`,
   * PKCE, `redirect_uri`, `response_type`) always win.
   */
  authorizationParams(options: Wso2IsAuthorizationOptions, own: Record<string, string>): Record<string, string> {
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.authorizationParams ?? {})) if (!RESERVED_PARAMS.has(k)) params[k] = v;
    if (options.prompt !== undefined) params['prompt'] = options.prompt;
    if (options.maxAge !== undefined) params['max_age'] = String(options.maxAge);
    if (options.loginHint !== undefined) params['login_hint'] = options.loginHint;
    if (options.fidp !== undefined) params['fidp'] = options.fidp;
    if (options.acrValues !== undefined) params['acr_values'] = [options.acrValues].flat().join(' ');
    if (options.uiLocales !== undefined) params['ui_locales'] = [options.uiLocales].flat().join(' ');
    if (options.claims !== undefined) params['claims'] = typeof options.claims === 'string' ? options.claims : JSON.stringify(options.claims);
    const scope = options.scope === undefined ? this.config.scope : scopeFrom(options.scope, 'scope');
    Object.assign(params, {
      response_type: 'code',
      redirect_uri: this.config.callbackURL,
      scope: scope.join(' '),
      code_challenge_method: 'S256',
      ...own,
    });
    if (this.config.responseMode === 'form_post') params['response_mode'] = 'form_post';
    return params;
  }

  private async completeLogin(req: Request, params: CallbackParams): Promise<void> {
    const namespace = stateOf(requireSession(req), this.config.sessionKey);
    if (params.error !== undefined) {
      if (params.state !== undefined) takePendingLogin(namespace, params.state, this.config.pendingLoginTTL);
      return this.refuse(authorizationFailure(params.error, params.error_description));
    }
    if (params.state === undefined) {
      return this.refuse({ code: 'STATE_MISSING', message: 'The sign-in response carries no state, so it cannot be matched to a login started here; it was refused. Sign in again.' });
    }
    const found = takePendingLogin(namespace, params.state, this.config.pendingLoginTTL);
    if (found.status === 'expired') {
      return this.refuse({ code: 'LOGIN_EXPIRED', message: `This login was started more than ${Math.round(this.config.pendingLoginTTL / 60)} minutes ago and has expired. Sign in again.` });
    }
    if (found.status === 'missing') {
      const pending = found.remaining === 0 ? 'no login is pending in this session' : `${found.remaining} other login(s) are pending in this session`;
      return this.refuse({
        code: 'LOGIN_NOT_FOUND',
        message: `Unable to match this sign-in response to a login started in this browser session (${pending}). Usual causes: ${LOGIN_NOT_FOUND_CAUSES.join('; ')}.`,
      });
    }
    const login = found.entry;
    const config = await this.issuer.get();
    const { issuer } = this.issuer.describe(config);
    if (params.iss !== undefined && params.iss !== issuer) {
      return this.refuse({ code: 'ISSUER_MISMATCH', message: `The sign-in response names issuer ${JSON.stringify(cleanText(params.iss))}, not ${issuer}: it was refused (it may come from another identity provider).` });
    }

    const response = new URL(this.config.callbackURL);
    for (const name of ['code', 'state', 'iss', 'session_state'] as const) {
      const value = params[name];
      if (value !== undefined) response.searchParams.set(name, value);
    }
    let result: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      result = await oidc.authorizationCodeGrant(config, response, {
        pkceCodeVerifier: login.codeVerifier,
        expectedNonce: login.nonce,
        expectedState: params.state,
        idTokenExpected: true,
        ...(login.maxAge !== undefined ? { maxAge: login.maxAge } : {}),
      });
    } catch (err) {
      const sorted = await classifyTokenError(err);
      if ('failure' in sorted) return this.refuse(sorted.failure);
      throw sorted.error;
    }
    const claims = result.claims();
    if (!claims || !result.id_token) {
      throw new Wso2IsError('ID_TOKEN_INVALID', 'WSO2 IS returned no ID token: is the `openid` scope allowed for this application?', { status: 502 });
    }
    await this.issuer.verifyIdTokenSignature(config, result.id_token);
    const tokens = tokensFrom(result, result.id_token, claims);
    const userinfo = this.config.userInfo ? await this.fetchUserinfo(config, tokens, claims) : undefined;
    const profile = buildProfile(claims, userinfo, this.config.tenant);
    this.log('login completed');
    await this.callVerify(req, tokens, profile, login.returnTo, namespace);
  }

  private async fetchUserinfo(config: oidc.Configuration, tokens: Wso2IsTokens, claims: oidc.IDToken): Promise<Record<string, unknown>> {
    let userinfo: oidc.UserInfoResponse;
    try {
      userinfo = await oidc.fetchUserInfo(config, tokens.accessToken, oidc.skipSubjectCheck);
    } catch (err) {
      throw findWso2IsError(err) ?? new Wso2IsError('USERINFO_FAILED', `WSO2 IS userinfo endpoint failed (${(err as Error).message}); set \`userInfo: false\` to rely on the ID token's claims only`, { cause: err, status: 502 });
    }
    const realm = claims['realm'] as { tenant?: unknown } | undefined;
    const tenant = typeof realm?.tenant === 'string' ? realm.tenant : this.config.tenant;
    if (!sameSubject(claims.sub, userinfo.sub, tenant)) {
      throw new Wso2IsError('USERINFO_FAILED', 'WSO2 IS userinfo answered for another subject than the ID token; the login was rejected', { status: 502 });
    }
    return userinfo as Record<string, unknown>;
  }

  private refuse(failure: Wso2IsFailure): void {
    this.log('login refused: %s', failure.code);
    this.fail(failure, 401);
  }

  private async callVerify(req: Request, tokens: Wso2IsTokens, profile: Wso2IsProfile, returnTo: string | undefined, namespace: ReturnType<typeof stateOf>): Promise<void> {
    const outcome = await runVerify(this.verify, this.config.passReqToCallback, req, tokens, profile);
    if (outcome.kind === 'error') return this.error(outcome.error);
    const info = outcome.info;
    if (outcome.kind === 'rejected') {
      const message = typeof info?.['message'] === 'string' ? info['message'] : 'The application did not accept this user.';
      return this.refuse({ ...info, code: 'USER_REJECTED', message });
    }
    namespace.tokens = storedTokens(tokens);
    const index = () => this.indexSession(req, tokens.claims);
    carryAcrossRegeneration(req, this.config.sessionKey, namespace, returnTo, index);
    if (typeof (req as Request & { session?: { regenerate?: unknown } }).session?.regenerate !== 'function') index();
    this.success(outcome.user, { ...info, ...(returnTo !== undefined ? { returnTo } : {}) });
  }
}
