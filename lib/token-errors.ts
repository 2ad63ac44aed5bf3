import { ResponseBodyError } from 'openid-client';
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
export function classifyTokenError(err: unknown): { failure: Wso2IsFailure } | { error: Wso2IsError } {
  const known = findWso2IsError(err);
  if (known) return { error: known };
  if (err instanceof ResponseBodyError) {
    const description = cleanText(err.error_description) ?? '';
    if (err.error === 'invalid_grant') {
      return {
        failure: {
          code: 'INVALID_GRANT',
          message: `WSO2 IS refused the authorization code${description ? ` (${description})` : ''}: it expired, was already used, or the login was started elsewhere. Sign in again.`,
          error: err.error,
          ...(description ? { error_description: description } : {}),
        },
      };
    }
    return {
      error: new Wso2IsError('TOKEN_REQUEST_FAILED', `WSO2 IS token endpoint answered ${err.status} ${err.error}${description ? ` "${description}"` : ''}${tokenHint(err.error, description)}`, {
        cause: err,
        status: 502,
        error: err.error,
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

/** The name (never the value) of the JWT claim openid-client reports as failing, if any. */
function failedClaim(err: unknown): string | undefined {
  for (let e: unknown = err, i = 0; typeof e === 'object' && e !== null && i < 4; e = (e as { cause?: unknown }).cause, i++) {
    const claim = (e as { claim?: unknown }).claim;
    if (typeof claim === 'string' && /^[a-z_]{2,20}$/.test(claim)) return claim;
  }
  return undefined;
}
