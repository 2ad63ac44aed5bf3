/**
 * The IS web application paths the identity server serves besides the OAuth endpoints.
 */

/** IS's login page (the authentication endpoint web app). */
export const LOGIN_PATH = '/authenticationendpoint/login.do';
/** IS's consent page. */
export const CONSENT_PATH = '/authenticationendpoint/oauth2_consent.do';
/** IS's OAuth error page: errors that must not go back to the application end here. */
export const ERROR_PATH = '/authenticationendpoint/oauth2_error.do';
/** Where the logout consent "No" button posts. */
export const LOGOUT_DENY_PATH = '/authenticationendpoint/oauth2_logout_deny.do';

function withQuery(path: string, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, v);
  return `${path}?${query.toString()}`;
}

export function loginPageUrl(uid: string, tenant: string, clientId: string | undefined): string {
  return withQuery(LOGIN_PATH, { sessionDataKey: uid, tenantDomain: tenant, client_id: clientId, type: 'oidc' });
}

export function consentPageUrl(uid: string, tenant: string, clientId: string | undefined): string {
  return withQuery(CONSENT_PATH, { sessionDataKey: uid, tenantDomain: tenant, client_id: clientId });
}

/**
 * IS's error page URL. oidc-provider error messages are translated to what IS puts in `oauthErrorCode` and
 * `oauthErrorMsg`: an unknown client is `invalid_client` / `application.not.found`, a callback that does not
 * match the registration is `invalid_callback` / `callback.not.match`.
 */
export function errorPageUrl(error: string, description: string, route?: string): string {
  let code = error;
  let msg = description;
  if (/redirect_uri did not match|redirect_uri is not allowed|redirect_uri must only contain/i.test(description)) {
    code = 'invalid_callback';
    msg = 'callback.not.match';
  } else if (/post_logout_redirect_uri not registered/i.test(description)) {
    code = 'access_denied';
    msg = 'Post logout URI does not match with registered callback URI.';
  } else if (error === 'invalid_client' && route !== 'end_session') {
    code = 'invalid_client';
    msg = 'application.not.found';
  } else if (error === 'invalid_client' || /unrecognized id_token_hint audience/.test(description)) {
    code = 'access_denied';
    msg = 'Error occurred while getting client information.';
  }
  return withQuery(ERROR_PATH, { oauthErrorCode: code, oauthErrorMsg: msg });
}
