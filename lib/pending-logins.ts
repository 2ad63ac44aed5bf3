import { addOneTime, nowSeconds, takeOneTime, type Taken } from './one-time-states.js';
import type { StrategySessionState } from './session.js';

/** One login between the redirect to IS and the callback: the secrets that bind the callback to it. */
export interface PendingLogin {
  /** PKCE code verifier (the challenge went to IS). */
  codeVerifier: string;
  /** Nonce the ID token must carry. */
  nonce: string;
  /** When the login started, in seconds since the epoch. */
  createdAt: number;
  /** Where to send the user after success, already checked to be a same-origin path. */
  returnTo?: string;
  /** The `max_age` sent, so that `auth_time` is checked against it. */
  maxAge?: number;
}

/** Records a pending login under its `state`. Several may be pending (tabs), at most `max`, for `ttl` seconds. */
export function addPendingLogin(session: StrategySessionState, state: string, login: Omit<PendingLogin, 'createdAt'>, max: number, ttl: number): void {
  addOneTime((session.pending ??= {}), state, { ...login, createdAt: nowSeconds() }, max, ttl);
}

/** Looks up and consumes the pending login of `state`: a state can be used once only. */
export function takePendingLogin(session: StrategySessionState, state: string, ttl: number): Taken<PendingLogin> {
  const taken = takeOneTime(session.pending ?? {}, state, ttl);
  if (session.pending && Object.keys(session.pending).length === 0) delete session.pending;
  return taken;
}
