/**
 * OpenID Connect Back-Channel Logout: IS POSTs a signed `logout_token` when an IS session ends (a logout from any
 * application of that session, or an administrator terminating it); the application sessions of that IS session
 * end, whichever instance of the application serves them next.
 */
import * as jose from 'jose';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { findWso2IsError } from './errors.js';
import type { LifecycleContext } from './logout.js';
import { destroySessions, type SessionStoreLike } from './session-index.js';
import { signatureReason } from './signing-keys.js';
import { readFormBody } from './form-body.js';

/** The `events` member every logout token carries. */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Oldest `iat` accepted, in seconds (plus `clockTolerance`): IS sends logout tokens as the logout happens. */
export const LOGOUT_TOKEN_MAX_AGE = 300;
/** Most `jti` values remembered against replay; the soonest to expire are forgotten first beyond it. */
const MAX_SEEN = 10_000;

/** `typ` headers accepted on a logout token (lower case). */
const LOGOUT_TOKEN_TYPES = ['logout+jwt', 'application/logout+jwt', 'jwt'];

/** A logout token that was refused; `message` names the rule, never the token. */
class Refused extends Error {}

/** What a verified logout token names. */
export interface LogoutTarget {
  sid?: string;
  sub?: string;
}

function logoutTokenOf(body: URLSearchParams | Record<string, unknown> | undefined): string {
  if (body === undefined) throw new Refused('the request must be an application/x-www-form-urlencoded POST with a logout_token');
  const values = body instanceof URLSearchParams ? body.getAll('logout_token') : [body['logout_token']].flat().filter((v) => v !== undefined);
  if (values.length > 1) throw new Refused('logout_token is repeated');
  const token = values[0];
  if (typeof token !== 'string' || token === '') throw new Refused('logout_token is missing');
  return token;
}

/** Why jose refused a token, in words that never include the token. */
function joseReason(err: unknown): string {
  if (err instanceof jose.errors.JWTClaimValidationFailed || err instanceof jose.errors.JWTExpired) return `"${err.claim}" claim check failed (${err.reason})`;
  return signatureReason(err);
}

/**
 * Verifies logout tokens (signature against the tenant JWKS with the pinned algorithm, `iss`, `aud`, `iat` age,
 * `exp`, `events`, `sid`/`sub`, no `nonce`, `typ`, `jti` replay) and ends the application sessions they name.
 * One per strategy: the JWKS cache and the replay cache are shared by every request.
 */
export class BackchannelLogout {
  private readonly seen = new Map<string, number>();

  constructor(private readonly ctx: LifecycleContext) {}

  /** Verifies `token`; resolves with the `sid`/`sub` it names, or rejects (a `Refused` for a bad token). */
  async verify(token: string): Promise<LogoutTarget> {
    const cfg = this.ctx.config;
    const config = await this.ctx.issuer.get();
    const { issuer, jwksUri } = this.ctx.issuer.describe(config);
    let verified: jose.JWTVerifyResult;
    try {
      verified = await jose.jwtVerify(token, this.ctx.issuer.keys.resolver(jwksUri), {
        issuer,
        audience: cfg.clientId,
        algorithms: [cfg.idTokenSigningAlg],
        clockTolerance: cfg.clockTolerance,
        maxTokenAge: LOGOUT_TOKEN_MAX_AGE,
        requiredClaims: ['iat', 'exp', 'jti', 'events'],
      });
    } catch (err) {
      const fault = findWso2IsError(err);
      if (fault) throw fault;
      throw new Refused(joseReason(err));
    }
    const { payload, protectedHeader } = verified;
    const typ = protectedHeader.typ;
    // Explicit typing (logout+jwt) is what the specification recommends; IS signs its logout tokens like its ID
    // tokens, so a plain JWT type is accepted too: the events claim and the absence of a nonce tell them apart.
    if (typ !== undefined && !LOGOUT_TOKEN_TYPES.includes(typ.toLowerCase())) {
      throw new Refused(`its "typ" header is ${JSON.stringify(typ.slice(0, 40))}, not logout+jwt (another kind of JWT is not a logout token)`);
    }
    const events = payload['events'];
    const event = typeof events === 'object' && events !== null && !Array.isArray(events) ? (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT] : undefined;
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      throw new Refused(`its "events" claim does not hold the ${BACKCHANNEL_LOGOUT_EVENT} event`);
    }
    if (payload['nonce'] !== undefined) throw new Refused('it carries a "nonce" (an ID token is not a logout token)');
    const sid = typeof payload['sid'] === 'string' && payload['sid'] !== '' ? payload['sid'] : undefined;
    const sub = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
    if (sid === undefined && sub === undefined) throw new Refused('it names neither a "sid" nor a "sub"');
    if (typeof payload.jti !== 'string' || payload.jti === '') throw new Refused('"jti" claim check failed (missing)');
    this.remember(payload.jti, payload);
    return { ...(sid !== undefined ? { sid } : {}), ...(sub !== undefined ? { sub } : {}) };
  }

  /** Records `jti` until the token could no longer be accepted; refuses one seen before. */
  private remember(jti: string, payload: jose.JWTPayload): void {
    const now = Date.now();
    for (const [id, until] of this.seen) if (until < now) this.seen.delete(id);
    if (this.seen.has(jti)) throw new Refused('it was already received ("jti" replayed)');
    const tolerance = this.ctx.config.clockTolerance;
    const until = Math.max(Number(payload.exp), Number(payload.iat) + LOGOUT_TOKEN_MAX_AGE) + tolerance;
    this.seen.set(jti, until * 1000);
    if (this.seen.size > MAX_SEEN) {
      const soonest = [...this.seen].sort((a, b) => a[1] - b[1]).slice(0, this.seen.size - MAX_SEEN);
      for (const [id] of soonest) this.seen.delete(id);
    }
  }

  /** The route handler of {@link Wso2IsStrategy.backchannelLogout}. */
  handler(): RequestHandler {
    const { log } = this.ctx;
    const answer = (res: Response, status: number, body?: Record<string, string>) => {
      res.status(status);
      res.set('Cache-Control', 'no-store');
      if (body) res.json(body);
      else res.end();
    };
    const run = async (req: Request, res: Response): Promise<void> => {
      let target: LogoutTarget;
      try {
        if (req.method !== 'POST') throw new Refused('back-channel logout is a POST');
        target = await this.verify(logoutTokenOf(await readFormBody(req)));
      } catch (err) {
        if (err instanceof Refused) {
          log('back-channel logout token refused: %s', err.message);
          return answer(res, 400, { error: 'invalid_request', error_description: `The logout token was refused: ${err.message}.`, code: 'LOGOUT_TOKEN_INVALID' });
        }
        log('back-channel logout failed: %s', (err as Error).message);
        return answer(res, 400, { error: 'server_error', error_description: 'The logout token could not be verified now (WSO2 IS keys unavailable).', code: 'LOGOUT_FAILED' });
      }
      try {
        const ids = await this.ctx.index().take(target.sid !== undefined ? { sid: target.sid } : { sub: target.sub as string });
        const store = (req as Request & { sessionStore?: SessionStoreLike }).sessionStore ?? this.ctx.store;
        if (ids.length > 0 && !store) {
          throw new Error('no express-session store is known: mount express-session before this route');
        }
        const ended = ids.length > 0 && store ? await destroySessions(store, ids) : 0;
        log('back-channel logout: %d application session(s) ended', ended);
        return answer(res, 200);
      } catch (err) {
        log('back-channel logout could not end the sessions: %s', (err as Error).message);
        return answer(res, 400, { error: 'server_error', error_description: 'The sessions of this logout could not be ended.', code: 'LOGOUT_FAILED' });
      }
    };
    return (req: Request, res: Response, next: NextFunction) => {
      run(req, res).catch(next);
    };
  }
}
