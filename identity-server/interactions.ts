/**
 * The login and consent steps of an authorization request (IS's `authenticationendpoint` web app), driven
 * through oidc-provider's interaction API.
 *
 * - Login: a wrong password redirects back to the login page with `authFailure=true` (as IS does) and
 *   shows an error; "Cancel" ends the request with `login_required` "Authentication required".
 * - Consent: "Allow" grants the requested scopes and claims; "Deny" ends with `access_denied`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InteractionResults } from 'oidc-provider';
import { subjectOf } from './accounts.js';
import { consentPage, errorPage, loginPage } from './pages.js';
import { CONSENT_PATH, LOGIN_PATH } from './paths.js';
import type { Tenant } from './tenants.js';

type Form = URLSearchParams;

function html(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(body);
}

function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 302;
  res.setHeader('location', location);
  res.setHeader('cache-control', 'no-store');
  res.end();
}

async function details(tenant: Tenant, req: IncomingMessage, res: ServerResponse, key: string | null) {
  try {
    const found = await tenant.provider.interactionDetails(req, res);
    if (key && found.uid !== key) return undefined;
    return found;
  } catch {
    return undefined;
  }
}

function sessionExpired(res: ServerResponse): void {
  html(res, 400, errorPage('authentication_error', 'Authentication Error! The login session has expired or is invalid. Please start the login again from the application.'));
}

async function finish(tenant: Tenant, req: IncomingMessage, res: ServerResponse, result: InteractionResults, merge = false) {
  await tenant.provider.interactionFinished(req, res, result, { mergeWithLastSubmission: merge });
}

/** GET and POST of `/authenticationendpoint/login.do`. */
export async function handleLogin(tenant: Tenant, req: IncomingMessage, res: ServerResponse, url: URL, form: Form | undefined): Promise<void> {
  const key = url.searchParams.get('sessionDataKey') ?? form?.get('sessionDataKey') ?? null;
  const interaction = await details(tenant, req, res, key);
  if (!interaction || interaction.prompt.name !== 'login') return sessionExpired(res);
  const clientId = String(interaction.params.client_id ?? '');
  const app = tenant.applications.get(clientId);

  if (req.method === 'POST' && form) {
    if (form.get('action') === 'cancel') {
      return finish(tenant, req, res, { error: 'login_required', error_description: 'Authentication required' });
    }
    const user = tenant.users.authenticate(form.get('username') ?? '', form.get('password') ?? '');
    if (!user) {
      const again = new URL(url.pathname + url.search, url);
      again.searchParams.set('authFailure', 'true');
      again.searchParams.set('authFailureMsg', 'login.fail.message');
      return redirect(res, again.pathname + again.search);
    }
    return finish(tenant, req, res, {
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
  const interaction = await details(tenant, req, res, key);
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
      return finish(tenant, req, res, { error: 'access_denied', error_description: 'User denied the consent' });
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
    return finish(tenant, req, res, { consent: { grantId } }, true);
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
