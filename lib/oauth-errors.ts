import { ResponseBodyError, WWWAuthenticateChallengeError } from 'openid-client';
import { Wso2IsError, findWso2IsError, type Wso2IsFailure } from './errors.js';

const NOT_AN_OAUTH_RESPONSE = new Set(['OAUTH_RESPONSE_IS_NOT_JSON', 'OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_PARSE_ERROR']);

/** A string from IS that is shown to users: bounded, without control characters. */
export function cleanText(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 500);
}

function tokenHint(error: string | undefined, description: string): string {
  if (error === 'invalid_client') return ': check clientId, clientSecret and tokenEndpointAuthMethod against the application in IS';
  if (/callback url mismatch/i.test(description)) return ': callbackURL must be exactly the callback URL registered in IS';
  if (/authorization information/i.test(description)) return ': credentials went both in the header and the body';
  if (/pkce is mandatory/i.test(description)) return ': this should not happen, the strategy always sends PKCE';
  return '';
}

/**
 * Sorts a failed token exchange: `invalid_grant` (a code expired, reused, or a PKCE mismatch) is a refused login
 * (`fail()`); a rejected client, an IS fault, an unreachable IS or a bad ID token is an error.
 */
export async function classifyTokenError(err: unknown): Promise<{ failure: Wso2IsFailure } | { error: Wso2IsError }> {
  const known = findWso2IsError(err);
  if (known) return { error: known };
  if (err instanceof ResponseBodyError || err instanceof WWWAuthenticateChallengeError) {
    const { error, error_description, status } = await oauthError(err);
    const description = cleanText(error_description) ?? '';
    if (error === 'invalid_grant') {
      return {
        failure: {
          code: 'INVALID_GRANT',
          message: `WSO2 IS refused the authorization code${description ? ` (${description})` : ''}: it expired, was already used, or the login was started elsewhere. Sign in again.`,
          error,
          ...(description ? { error_description: description } : {}),
        },
      };
    }
    return {
      error: new Wso2IsError('TOKEN_REQUEST_FAILED', `WSO2 IS token endpoint answered ${status} ${error}${description ? ` "${description}"` : ''}${tokenHint(error, description)}`, {
        cause: err,
        status: 502,
        error,
        ...(description ? { error_description: description } : {}),
      }),
    };
  }
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && NOT_AN_OAUTH_RESPONSE.has(code)) {
    return { error: new Wso2IsError('TOKEN_REQUEST_FAILED', `WSO2 IS answered the token request with something that is not an OAuth response (${message})`, { cause: err, status: 502 }) };
  }
  const claim = failedClaim(err);
  const what = claim === undefined ? 'the token response was refused' : `the ID token's "${claim}" claim was refused`;
  return { error: new Wso2IsError('ID_TOKEN_INVALID', `${what}: ${message}`, { cause: err, status: 502 }) };
}

/**
 * The OAuth error of a rejected token request. A 401 with a `WWW-Authenticate` header (IS's answer to bad client
 * credentials) carries it in the challenge's parameters or, as IS does, in the JSON body left unread.
 */
export async function oauthError(err: ResponseBodyError | WWWAuthenticateChallengeError): Promise<{ error: string; error_description?: string; status: number }> {
  if (err instanceof ResponseBodyError) {
    return { error: err.error, status: err.status, ...(err.error_description !== undefined ? { error_description: err.error_description } : {}) };
  }
  const params = err.cause[0]?.parameters ?? {};
  let body: { error?: unknown; error_description?: unknown } = {};
  try {
    body = (await err.response.clone().json()) as typeof body;
  } catch {
    // An empty or non-JSON body: the challenge alone says what happened.
  }
  const error = params.error ?? (typeof body.error === 'string' ? body.error : err.status === 401 ? 'invalid_client' : 'error');
  const description = params.error_description ?? (typeof body.error_description === 'string' ? body.error_description : undefined);
  return { error, status: err.status, ...(description !== undefined ? { error_description: description } : {}) };
}

/** The name (never the value) of the JWT claim openid-client reports as failing, if any. */
function failedClaim(err: unknown): string | undefined {
  for (let e: unknown = err, i = 0; typeof e === 'object' && e !== null && i < 4; e = (e as { cause?: unknown }).cause, i++) {
    const claim = (e as { claim?: unknown }).claim;
    if (typeof claim === 'string' && /^[a-z_]{2,20}$/.test(claim)) return claim;
  }
  return undefined;
}

/** The failure for an `error=` IS sent back to the callback, with a hint for the errors users meet. */
export function authorizationFailure(error: string, description: string | undefined): Wso2IsFailure {
  const err = cleanText(error) ?? 'error';
  const desc = cleanText(description);
  const hints: Record<string, string> = {
    access_denied: 'The user declined to share their details with this application.',
    login_required: 'IS answers this when the user cancels the login or a federated login fails, and to prompt=none without an IS session.',
    consent_required: 'The user must approve this application in IS first.',
    interaction_required: 'IS needs the user to interact (prompt=none cannot be satisfied).',
  };
  return {
    code: 'AUTHORIZATION_ERROR',
    message: `WSO2 IS did not sign the user in: ${err}${desc ? ` (${desc})` : ''}. ${hints[err] ?? ''}`.trim(),
    error: err,
    ...(desc !== undefined ? { error_description: desc } : {}),
  };
}
