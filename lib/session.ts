import type { Request } from 'express';
import { Wso2IsError } from './errors.js';
import type { Stamped } from './one-time-states.js';
import type { PendingLogin } from './pending-logins.js';
import type { StoredTokens } from './tokens.js';

/** What one strategy keeps in `req.session[sessionKey]`. */
export interface StrategySessionState {
  /** Logins started and not yet returned, keyed by their `state`. */
  pending?: Record<string, PendingLogin>;
  /** Tokens of the current login (set after a successful callback). */
  tokens?: StoredTokens;
  /** Sign-outs sent to IS and not yet returned: their `state` and when they started (seconds since the epoch). */
  logouts?: Record<string, Stamped>;
}

type SessionLike = Record<string, unknown> & { regenerate?: (cb: (err?: unknown) => void) => unknown };

/** The session, or a clear error when no session middleware runs before passport. */
export function requireSession(req: Request): SessionLike {
  const session = (req as Request & { session?: SessionLike }).session;
  if (!session || typeof session !== 'object') {
    throw new Wso2IsError('SESSION_REQUIRED', 'passport-wso2is needs a session to keep the login between the redirect to IS and the callback: mount express-session (or another session middleware) before passport', { status: 500 });
  }
  return session;
}

/** This strategy's namespace in the session, created on first use. */
export function stateOf(session: SessionLike, key: string): StrategySessionState {
  let state = session[key] as StrategySessionState | undefined;
  if (!state || typeof state !== 'object') {
    state = {};
    session[key] = state;
  }
  return state;
}

/** Called when a login through another strategy carried this strategy's state into a new session (new id). */
export type CarriedHook = (req: Request, state: StrategySessionState) => void;

/** Session keys of every strategy instance in this process (each login carries all of them over), with their hooks. */
const namespaces = new Map<string, Set<CarriedHook>>();

/**
 * Records a strategy's session key, so that a login through another strategy keeps this one's state; `onCarried`
 * then runs with the request (whose `sessionID` is the new one), e.g. to re-index the session for back-channel logout.
 */
export function registerSessionKey(key: string, onCarried?: CarriedHook): void {
  let hooks = namespaces.get(key);
  if (!hooks) namespaces.set(key, (hooks = new Set()));
  if (onCarried) hooks.add(onCarried);
}

/** Forgets a hook registered with {@link registerSessionKey} (the strategy was closed). */
export function unregisterCarriedHook(key: string, onCarried: CarriedHook): void {
  namespaces.get(key)?.delete(onCarried);
}

/**
 * Makes the strategy's namespace (pending logins of other tabs, the new tokens), those of the other strategies in
 * the process (another tenant's tokens and pending logins) and the `returnTo` survive the
 * session regeneration that passport 0.6+ performs in `req.login()` against session fixation. Without it, a
 * second tab's login and the tokens would be lost the moment the first login succeeds. The new session still
 * gets a new id; only these values are copied.
 */
export function carryAcrossRegeneration(
  req: Request,
  key: string,
  state: StrategySessionState,
  returnTo: string | undefined,
  onRegenerated?: () => void,
): void {
  const session = requireSession(req);
  session[key] = state;
  if (returnTo !== undefined) session['returnTo'] = returnTo;
  const regenerate = session.regenerate;
  if (typeof regenerate !== 'function') return;
  session.regenerate = function (this: SessionLike, cb: (err?: unknown) => void) {
    delete session.regenerate;
    return regenerate.call(this, (err?: unknown) => {
      const fresh = (req as Request & { session?: SessionLike }).session;
      if (!err && fresh && fresh !== session) {
        const carried: Array<[Set<CarriedHook>, StrategySessionState]> = [];
        for (const [other, hooks] of namespaces) {
          if (other === key || session[other] === undefined) continue;
          fresh[other] = session[other];
          if (hooks.size > 0 && typeof session[other] === 'object' && session[other] !== null) carried.push([hooks, session[other] as StrategySessionState]);
        }
        fresh[key] = state;
        if (returnTo !== undefined) fresh['returnTo'] = returnTo;
        // `req.sessionID` is the new session's id from here on (back-channel logout indexes it).
        onRegenerated?.();
        for (const [hooks, carriedState] of carried) for (const hook of hooks) hook(req, carriedState);
      }
      cb(err);
    });
  };
}
