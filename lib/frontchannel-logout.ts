/**
 * OpenID Connect Front-Channel Logout: when an IS session ends, IS's logout page loads
 * `frontchannel_logout_uri?iss=...&sid=...` of each application of that session in a hidden iframe.
 */
import { decodeJwt } from 'jose';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { LifecycleContext } from './logout.js';
import type { StrategySessionState } from './session.js';
import { destroySessions, type SessionStoreLike } from './session-index.js';

type SessionRequest = Request & {
  session?: Record<string, unknown> & { destroy?: (cb: (err?: unknown) => void) => void };
  sessionID?: string;
  sessionStore?: SessionStoreLike;
};

function page(title: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><p>${title}</p></body></html>`;
}

/** The IS session (`sid`) of the login held by this request's session, if any. */
function sidOfSession(req: SessionRequest, key: string): string | undefined {
  const idToken = (req.session?.[key] as StrategySessionState | undefined)?.tokens?.idToken;
  if (!idToken) return undefined;
  try {
    const sid = decodeJwt(idToken)['sid'];
    return typeof sid === 'string' ? sid : undefined;
  } catch {
    return undefined;
  }
}

/** The route handler of {@link Wso2IsStrategy.frontchannelLogout}. */
export function frontchannelLogoutHandler(ctx: LifecycleContext): RequestHandler {
  const { config: cfg, log } = ctx;
  const run = async (req: SessionRequest, res: Response): Promise<void> => {
    const config = await ctx.issuer.get();
    const metadata = config.serverMetadata();
    const isOrigins = new Set([metadata.end_session_endpoint, metadata.issuer].filter((u): u is string => typeof u === 'string').map((u) => new URL(u).origin));
    res.set('Cache-Control', 'no-store');
    // IS loads this page in an iframe: allow IS (and this application) to frame it, nobody else.
    res.removeHeader('X-Frame-Options');
    res.set('Content-Security-Policy', `frame-ancestors 'self' ${[...isOrigins].join(' ')}`);
    res.type('html');

    const url = req.originalUrl ?? req.url ?? '';
    const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    const iss = query.getAll('iss');
    const sid = query.getAll('sid');
    if (iss.length !== 1 || sid.length !== 1 || sid[0] === '') {
      log('front-channel logout refused: iss and sid must each be given once');
      res.status(400).send(page('Logout request refused: iss and sid are required.'));
      return;
    }
    if (iss[0] !== metadata.issuer) {
      log('front-channel logout refused: another issuer');
      res.status(400).send(page('Logout request refused: unknown issuer.'));
      return;
    }
    const target = sid[0] as string;
    const ids = new Set(await ctx.index().take({ sid: target }));
    // The iframe may carry this application's cookie (SameSite permitting): end that session directly as well.
    const current = sidOfSession(req, cfg.sessionKey) === target ? req.session : undefined;
    if (current && req.sessionID) ids.delete(req.sessionID);
    const store = req.sessionStore ?? ctx.store;
    if (ids.size > 0 && !store) throw new Error('passport-wso2is: no express-session store is known: mount express-session before the front-channel logout route');
    if (ids.size > 0 && store) await destroySessions(store, [...ids]);
    if (current && typeof current.destroy === 'function') {
      await new Promise<void>((resolve, reject) => current.destroy!((err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve())));
    }
    log('front-channel logout: %d application session(s) ended', ids.size + (current ? 1 : 0));
    res.status(200).send(page('Signed out.'));
  };
  return (req: Request, res: Response, next: NextFunction) => {
    run(req as SessionRequest, res).catch(next);
  };
}
