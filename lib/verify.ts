import type { Request } from 'express';
import type { Wso2IsProfile } from './profile.js';
import type { Wso2IsTokens } from './tokens.js';

/** What the verify callback hands back: an error, the user (or `false` to refuse), and optional info. */
export type VerifyCallback = (err?: unknown, user?: Express.User | false | null, info?: Record<string, unknown>) => void;

/** Verify callback: find or create the application's user from the IS profile. May also return a Promise of the user. */
export type VerifyFunction = (
  tokens: Wso2IsTokens,
  profile: Wso2IsProfile,
  done: VerifyCallback,
) => void | Promise<Express.User | false | null | undefined | void>;

/** Verify callback with the request first (`passReqToCallback: true`). */
export type VerifyFunctionWithRequest = (
  req: Request,
  tokens: Wso2IsTokens,
  profile: Wso2IsProfile,
  done: VerifyCallback,
) => void | Promise<Express.User | false | null | undefined | void>;

/** What the application's verify callback decided. */
export type VerifyOutcome =
  | { kind: 'user'; user: Express.User; info: Record<string, unknown> | undefined }
  | { kind: 'rejected'; info: Record<string, unknown> | undefined }
  | { kind: 'error'; error: Error };

/**
 * Calls the application's verify callback, in the shape chosen by `passReqToCallback` (never by `fn.length`, which
 * wrappers change), and settles once: on the first `done(...)`, on a returned Promise's user (`undefined` waits for
 * `done`), on a rejection or a throw. A second `done` has no effect.
 */
export function runVerify(
  verify: VerifyFunction | VerifyFunctionWithRequest,
  passReqToCallback: boolean,
  req: Request,
  tokens: Wso2IsTokens,
  profile: Wso2IsProfile,
): Promise<VerifyOutcome> {
  return new Promise<VerifyOutcome>((resolve) => {
    let settled = false;
    const done: VerifyCallback = (err, user, info) => {
      if (settled) return;
      settled = true;
      if (err) resolve({ kind: 'error', error: err instanceof Error ? err : new Error(String(err)) });
      else if (!user) resolve({ kind: 'rejected', info });
      else resolve({ kind: 'user', user, info });
    };
    let returned: unknown;
    try {
      returned = passReqToCallback
        ? (verify as VerifyFunctionWithRequest)(req, tokens, profile, done)
        : (verify as VerifyFunction)(tokens, profile, done);
    } catch (err) {
      done(err);
      return;
    }
    if (returned && typeof (returned as PromiseLike<unknown>).then === 'function') {
      (returned as Promise<Express.User | false | null | undefined>).then(
        (user) => {
          if (user !== undefined) done(null, user);
        },
        (err: unknown) => done(err ?? new Error('verify rejected')),
      );
    }
  });
}
