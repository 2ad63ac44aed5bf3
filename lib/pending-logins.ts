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

/** Result of looking a callback's `state` up. */
export type PendingLookup =
  | { status: 'found'; login: PendingLogin }
  | { status: 'expired' }
  | { status: 'missing'; pendingCount: number };

function now(): number {
  return Math.floor(Date.now() / 1000);
}

/** Drops logins older than `ttl` seconds. */
function prune(pending: Record<string, PendingLogin>, ttl: number): void {
  const limit = now() - ttl;
  for (const [state, login] of Object.entries(pending)) {
    if (!login || typeof login.createdAt !== 'number' || login.createdAt < limit) delete pending[state];
  }
}

/**
 * Records a pending login under its `state`. Several may be pending (tabs); past `max` the oldest are dropped,
 * so a session never grows without bound.
 */
export function addPendingLogin(session: StrategySessionState, state: string, login: Omit<PendingLogin, 'createdAt'>, max: number, ttl: number): void {
  const pending = (session.pending ??= {});
  prune(pending, ttl);
  pending[state] = { ...login, createdAt: now() };
  const states = Object.keys(pending);
  if (states.length > max) {
    states
      .sort((a, b) => (pending[a]?.createdAt ?? 0) - (pending[b]?.createdAt ?? 0))
      .slice(0, states.length - max)
      .forEach((s) => delete pending[s]);
  }
}

/** Looks up and removes (consumes) the pending login of `state`: a state can be used once only. */
export function takePendingLogin(session: StrategySessionState, state: string, ttl: number): PendingLookup {
  const pending = session.pending ?? {};
  const login = Object.hasOwn(pending, state) ? pending[state] : undefined;
  if (login) delete pending[state];
  const expired = login !== undefined && (typeof login.createdAt !== 'number' || login.createdAt < now() - ttl);
  prune(pending, ttl);
  if (Object.keys(pending).length === 0) delete session.pending;
  if (!login) return { status: 'missing', pendingCount: Object.keys(pending).length };
  return expired ? { status: 'expired' } : { status: 'found', login };
}
