/**
 * Stable error codes. An application can branch on `err.code` (or `failure.code`) without parsing messages.
 *
 * - `CONFIG_INVALID`: an option passed to the constructor is missing or wrong.
 * - `SESSION_REQUIRED`: no session middleware runs before the strategy.
 * - `RETURN_TO_REFUSED`: a `returnTo` that is not a same-origin relative path.
 * - `DISCOVERY_FAILED`: the discovery document could not be fetched or is not valid.
 * - `ISSUER_MISMATCH`: IS reports (or a response carries) another issuer than the one expected.
 * - `TLS_FAILED`: the IS certificate is not trusted, expired, or names another host.
 * - `IS_UNREACHABLE`: IS refused the connection, the host is unknown, or it did not answer in time.
 * - `TOKEN_REQUEST_FAILED`: the token endpoint rejected the client or failed (`invalid_client`, `server_error`...).
 * - `ID_TOKEN_INVALID`: the ID token is missing, badly signed, or its claims do not hold.
 * - `USERINFO_FAILED`: the userinfo endpoint failed or answered for another user.
 * - `VERIFY_FAILED`: the application's verify callback failed.
 * - `NO_REFRESH_TOKEN`: a refresh is needed but the session holds no refresh token (the Refresh Token grant is not
 *   enabled for the application in IS): sign the user in again.
 * - `REFRESH_FAILED`: IS refused the refresh (`invalid_grant`: the refresh token expired, was revoked or the IS
 *   session ended; status 401) or answered with an unusable response (status 502).
 * - `REVOKE_FAILED`: IS's revocation endpoint refused a token.
 * - `LOGOUT_FAILED`: the sessions named by a back-channel or front-channel logout could not be ended (store fault).
 *
 * Codes of sign-out outcomes (in `req.session.messages` and the back-channel error body, never thrown):
 * - `LOGOUT_STATE_MISMATCH`: a return to the logout callback URL whose `state` is missing, unknown, already used or
 *   expired: it was not started by this browser session (forged, replayed, or the session cookie was lost).
 * - `LOGOUT_DENIED`: IS's logout consent page was answered "No" (`error=access_denied`): the IS session remains.
 * - `LOGOUT_TOKEN_INVALID`: a back-channel logout token was refused (signature, issuer, audience, age, events,
 *   nonce, `typ` or replay); no session was ended.
 *
 * Codes of failures (`fail()`, not `error()`): `LOGIN_NOT_FOUND`, `LOGIN_EXPIRED`, `STATE_MISSING`,
 * `DUPLICATE_PARAMETER`, `ISSUER_MISMATCH`, `AUTHORIZATION_ERROR` (IS sent `error=`), `INVALID_GRANT`,
 * `USER_REJECTED` (verify returned no user).
 */
export type Wso2IsErrorCode =
  | 'CONFIG_INVALID'
  | 'SESSION_REQUIRED'
  | 'RETURN_TO_REFUSED'
  | 'DISCOVERY_FAILED'
  | 'ISSUER_MISMATCH'
  | 'TLS_FAILED'
  | 'IS_UNREACHABLE'
  | 'TOKEN_REQUEST_FAILED'
  | 'ID_TOKEN_INVALID'
  | 'USERINFO_FAILED'
  | 'VERIFY_FAILED'
  | 'NO_REFRESH_TOKEN'
  | 'REFRESH_FAILED'
  | 'REVOKE_FAILED'
  | 'LOGOUT_FAILED'
  | 'LOGOUT_STATE_MISMATCH'
  | 'LOGOUT_DENIED'
  | 'LOGOUT_TOKEN_INVALID';

/** Codes carried by a {@link Wso2IsFailure}: the login was refused, nothing is broken. */
export type Wso2IsFailureCode =
  | 'LOGIN_NOT_FOUND'
  | 'LOGIN_EXPIRED'
  | 'STATE_MISSING'
  | 'DUPLICATE_PARAMETER'
  | 'ISSUER_MISMATCH'
  | 'AUTHORIZATION_ERROR'
  | 'INVALID_GRANT'
  | 'USER_REJECTED';

/**
 * An infrastructure or configuration fault, handed to Passport's `error()` (Express answers 500 unless
 * `status` says otherwise). Never carries a token, code or secret: `cause` keeps only names, messages and codes.
 */
export class Wso2IsError extends Error {
  override name = 'Wso2IsError';
  /** Stable code, see {@link Wso2IsErrorCode}. */
  readonly code: Wso2IsErrorCode;
  /** HTTP status an Express error handler may use (400 for bad input, 502 for IS faults, 500 otherwise). */
  readonly status: number;
  /** The OAuth `error` IS answered with, when it did. */
  readonly error?: string;
  /** The OAuth `error_description` IS answered with, when it did. */
  readonly error_description?: string;

  constructor(
    code: Wso2IsErrorCode,
    message: string,
    extra: { cause?: unknown; status?: number; error?: string; error_description?: string } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: redactCause(extra.cause) });
    this.code = code;
    this.status = extra.status ?? 500;
    if (extra.error !== undefined) this.error = extra.error;
    if (extra.error_description !== undefined) this.error_description = extra.error_description;
  }
}

/**
 * What `fail()` receives: the login was refused (denied consent, cancelled, expired, replayed, forged).
 * Passport shows `message` with `failureMessage`/`failureFlash`; the OAuth fields are there for an error page.
 */
export interface Wso2IsFailure {
  /** Human-readable and actionable; never contains a token, code or secret. */
  message: string;
  /** Stable code, see {@link Wso2IsFailureCode}. */
  code: Wso2IsFailureCode;
  /** The OAuth error IS sent (`access_denied`, `login_required`, `invalid_grant`...). */
  error?: string;
  /** IS's own description of that error. */
  error_description?: string;
}

/**
 * Rebuilds an error chain keeping only what is safe to log: name, message and `code` of each error.
 * openid-client attaches response bodies and request parameters (which hold codes and tokens) as `cause`.
 */
export function redactCause(cause: unknown, depth = 0): unknown {
  if (!(cause instanceof Error) || depth > 4) return undefined;
  if (cause instanceof Wso2IsError) return cause;
  const inner = redactCause((cause as { cause?: unknown }).cause, depth + 1);
  const copy = new Error(cause.message, inner === undefined ? undefined : { cause: inner });
  copy.name = cause.name;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string') (copy as Error & { code?: string }).code = code;
  return copy;
}

/** The first {@link Wso2IsError} in an error's `cause` chain, if any. */
export function findWso2IsError(err: unknown): Wso2IsError | undefined {
  for (let e: unknown = err, i = 0; e instanceof Error && i < 8; e = e.cause, i++) {
    if (e instanceof Wso2IsError) return e;
  }
  return undefined;
}
