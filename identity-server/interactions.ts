/**
 * The login and consent steps of an authorization request (IS's `authenticationendpoint` web app), driven
 * through oidc-provider's interaction model.
 *
 * - Login: a wrong password redirects back to the login page with `authFailure=true` (as IS does) and
 *   shows an error; "Cancel" ends the request with `login_required` "Authentication required".
 * - Consent: "Allow" grants the requested scopes and claims; "Deny" ends with `access_denied`.
 *
 * Several logins can be pending in one browser (two tabs on the login page), as in IS, which keys each
 * pending login by the `sessionDataKey` of its page. oidc-provider's own way (`interactionDetails` and
 * `interactionFinished`) reads the interaction id from one `_interaction` cookie, which the next
 * authorization request in the same browser overwrites, so the older tab's page would expire. Here every page
 * and form carries its `sessionDataKey` (the interaction uid), and the interaction is looked up by that key
 * (oidc-provider still sets its `_interaction` cookie; nothing reads it).
 *
 * The key alone must not be enough: it travels in URLs (history, proxy logs, `Referer`), and a key from
 * another browser must not complete someone else's login (nor sign a victim into an attacker's login). So
 * when an authorization request starts a login, {@link bindToBrowser} gives that browser a cookie for that
 * key alone: named after the key, holding an HMAC of tenant and key under the server's cookie secret,
 * HttpOnly, SameSite=Lax, Secure, path `/authenticationendpoint`, living as long as the interaction. A page
 * or form is served only to a browser that presents the cookie of its key; any other gets IS's "login
 * session has expired" page and the login stays pending for its own browser. One cookie per key rather
 * than one per browser (a random browser id recorded with each interaction): two authorization requests
 * racing from a fresh browser could each create a browser id, and the second Set-Cookie would orphan the
 * first login; per-key cookies never overwrite each other. They are removed when their login finishes.
 * The resume step (`/oauth2/authorize/{uid}`) needs nothing more: oidc-provider's resume cookie is already
 * scoped to that per-uid path.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Interaction, InteractionResults, KoaContextWithOIDC } from 'oidc-provider';
import { subjectOf } from './accounts.js';
import { parseCookies } from './cookies.js';
import { consentPage, errorPage, loginPage } from './pages.js';
import { CONSENT_PATH, LOGIN_PATH } from './paths.js';
import type { Tenant } from './tenants.js';

type Form = URLSearchParams;

/** Where the binding cookies are sent: IS's login and consent pages (shared by all tenants). */
const BINDING_PATH = '/authenticationendpoint';

function html(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(body);
}

function redirect(res: ServerResponse, location: string, status = 302): void {
  res.statusCode = status;
  res.setHeader('location', location);
  res.setHeader('cache-control', 'no-store');
  res.end();
}

function bindingName(tenant: Tenant, key: string): string {
  return `${tenant.cookiePrefix}sdk.${key}`;
}

function bindingValue(tenant: Tenant, key: string): string {
  return createHmac('sha256', tenant.cookieSecret).update(`sessionDataKey\n${tenant.domain}\n${key}`).digest('base64url');
}

/**
 * Ties the pending login `interaction` to the browser that started it (see the module documentation);
 * called by oidc-provider's `interactions.url` as it sends the browser to the login or consent page.
 */
export function bindToBrowser(tenant: Tenant, ctx: KoaContextWithOIDC, interaction: Interaction): void {
  const ttl = Math.max(1, interaction.exp - Math.floor(Date.now() / 1000));
  ctx.cookies.set(bindingName(tenant, interaction.uid), bindingValue(tenant, interaction.uid), {
    path: BINDING_PATH,
    httpOnly: true,
    sameSite: 'lax',
    secure: true,
    signed: false,
    maxAge: ttl * 1000,
  });
}

function isBoundToBrowser(tenant: Tenant, req: IncomingMessage, key: string): boolean {
  const presented = parseCookies(req.headers.cookie).get(bindingName(tenant, key));
  if (!presented) return false;
  const expected = Buffer.from(bindingValue(tenant, key));
  const actual = Buffer.from(presented);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The pending login of this page's `sessionDataKey`, if it exists and belongs to this browser. */
async function pending(tenant: Tenant, req: IncomingMessage, key: string | null): Promise<Interaction | undefined> {
  if (!key || !isBoundToBrowser(tenant, req, key)) return undefined;
  const { Interaction: Model, Session } = tenant.provider;
  const interaction = await Model.find(key);
  if (!interaction) return undefined;
  // As oidc-provider's interactionDetails: the IS session it started in must still be there, same user.
  if (interaction.session?.uid) {
    const session = await Session.findByUid(interaction.session.uid);
    if (!session || session.accountId !== interaction.session.accountId) return undefined;
  }
  return interaction;
}

function sessionExpired(res: ServerResponse): void {
  html(res, 400, errorPage('authentication_error', 'Authentication Error! The login session has expired or is invalid. Please start the login again from the application.'));
}

/** Records the result (as oidc-provider's interactionFinished), drops the binding and resumes the request. */
async function finish(tenant: Tenant, res: ServerResponse, interaction: Interaction, result: InteractionResults, merge = false) {
  interaction.result = merge && !('error' in result) ? { ...interaction.lastSubmission, ...result } : result;
  await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
  res.setHeader('set-cookie', `${bindingName(tenant, interaction.uid)}=; path=${BINDING_PATH}; expires=Thu, 01 Jan 1970 00:00:00 GMT; secure; httponly; samesite=lax`);
  redirect(res, interaction.returnTo, 303);
}

/** GET and POST of `/authenticationendpoint/login.do`. */
export async function handleLogin(tenant: Tenant, req: IncomingMessage, res: ServerResponse, url: URL, form: Form | undefined): Promise<void> {
  const key = url.searchParams.get('sessionDataKey') ?? form?.get('sessionDataKey') ?? null;
  const interaction = await pending(tenant, req, key);
  if (!interaction || interaction.prompt.name !== 'login') return sessionExpired(res);
  const clientId = String(interaction.params.client_id ?? '');
  const app = tenant.applications.get(clientId);

  if (req.method === 'POST' && form) {
    if (form.get('action') === 'cancel') {
      return finish(tenant, res, interaction, { error: 'login_required', error_description: 'Authentication required' });
    }
    const user = tenant.users.authenticate(form.get('username') ?? '', form.get('password') ?? '');
    if (!user) {
      const again = new URL(url.pathname + url.search, url);
      again.searchParams.set('authFailure', 'true');
      again.searchParams.set('authFailureMsg', 'login.fail.message');
      return redirect(res, again.pathname + again.search);
    }
    return finish(tenant, res, interaction, {
      login: { accountId: subjectOf(user, tenant.subject), amr: ['BasicAuthenticator'] },
    });
  }

  const action = `${LOGIN_PATH}?${new URLSearchParams({ sessionDataKey: interaction.uid, tenantDomain: tenant.domain }).toString()}`;
  html(res, 200, loginPage({
    action,
    sessionDataKey: interaction.uid,
    applicationName: app?.name ?? clientId,
    tenant: tenant.domain,
    failed: url.searchParams.get('authFailure') === 'true',
  }));
}

/** GET and POST of `/authenticationendpoint/oauth2_consent.do`. */
export async function handleConsent(tenant: Tenant, req: IncomingMessage, res: ServerResponse, url: URL, form: Form | undefined): Promise<void> {
  const key = url.searchParams.get('sessionDataKey') ?? form?.get('sessionDataKey') ?? null;
  const interaction = await pending(tenant, req, key);
  if (!interaction || interaction.prompt.name !== 'consent') return sessionExpired(res);
  const clientId = String(interaction.params.client_id ?? '');
  const app = tenant.applications.get(clientId);
  const promptDetails = interaction.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };

  if (req.method === 'POST' && form) {
    if (form.get('consent') !== 'approve') {
      return finish(tenant, res, interaction, { error: 'access_denied', error_description: 'User denied the consent' });
    }
    const { Grant } = tenant.provider;
    const accountId = interaction.session?.accountId;
    if (!accountId) return sessionExpired(res);
    const grant = (interaction.grantId ? await Grant.find(interaction.grantId) : undefined)
      ?? new Grant({ accountId, clientId });
    if (promptDetails.missingOIDCScope) grant.addOIDCScope(promptDetails.missingOIDCScope.join(' '));
    if (promptDetails.missingOIDCClaims) grant.addOIDCClaims(promptDetails.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(promptDetails.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    return finish(tenant, res, interaction, { consent: { grantId } }, true);
  }

  const action = `${CONSENT_PATH}?${new URLSearchParams({ sessionDataKey: interaction.uid, tenantDomain: tenant.domain }).toString()}`;
  html(res, 200, consentPage({
    action,
    sessionDataKey: interaction.uid,
    applicationName: app?.name ?? clientId,
    scopes: promptDetails.missingOIDCScope ?? [],
    claims: promptDetails.missingOIDCClaims ?? [],
  }));
}
