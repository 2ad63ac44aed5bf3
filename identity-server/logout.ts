/**
 * IS's logout behaviour on top of oidc-provider's RP-initiated logout:
 * - the optional logout consent page ("Do you want to logout?"), whose "No" returns `error=access_denied`
 *   to the `post_logout_redirect_uri` (with `state`) without ending the session;
 * - front-channel logout iframes (`frontchannel_logout_uri?sid=&iss=`) for the applications of the session;
 * - the "successfully logged out" page when no `post_logout_redirect_uri` was given.
 * Back-channel logout tokens are sent by oidc-provider itself (`features.backchannelLogout`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KoaContextWithOIDC } from 'oidc-provider';

type Middleware = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>;
import { frontchannelPage, logoutConsentPage, loggedOutPage } from './pages.js';
import { LOGOUT_DENY_PATH, errorPageUrl } from './paths.js';
import type { Tenant } from './tenants.js';

/** Renders the page oidc-provider shows before ending the session (`logoutSource`). */
export function logoutPage(ctx: KoaContextWithOIDC, form: string, tenant: Tenant, ask: boolean): void {
  const action = /action="([^"]+)"/.exec(form)?.[1] ?? '';
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1] ?? '';
  const url = new URL(action.replace(/&amp;/g, '&'));
  // Legacy tenants share the un-prefixed logout path with the super tenant: name the tenant.
  url.searchParams.set('tenantDomain', tenant.domain);
  const deny = `${LOGOUT_DENY_PATH}?tenantDomain=${encodeURIComponent(tenant.domain)}`;
  ctx.type = 'html';
  ctx.body = logoutConsentPage({ action: url.pathname + url.search, denyAction: deny, xsrf, ask });
}

/** `postLogoutSuccessSource`: IS's result page when the logout has nowhere to return to. */
export function logoutSuccessPage(ctx: KoaContextWithOIDC): void {
  ctx.type = 'html';
  ctx.body = loggedOutPage();
}

interface SessionLike {
  authorizations?: Record<string, { sid?: string }>;
}

/**
 * Koa middleware: after oidc-provider ended a session, replace its redirect with a page that loads the
 * front-channel logout iframes of the session's applications, then continues to the same redirect.
 */
export function frontchannelLogout(tenant: Tenant): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.oidc?.route !== 'end_session_confirm' || ctx.status !== 303) return;
    const session = ctx.oidc.entities.Session as SessionLike | undefined;
    const frames: string[] = [];
    for (const [clientId, authorization] of Object.entries(session?.authorizations ?? {})) {
      const uri = tenant.applications.get(clientId)?.frontchannelLogoutUri;
      if (!uri) continue;
      const src = new URL(uri);
      if (authorization.sid) src.searchParams.set('sid', authorization.sid);
      src.searchParams.set('iss', tenant.issuer);
      frames.push(src.href);
    }
    if (frames.length === 0) return;
    const next_ = ctx.response.get('location');
    ctx.status = 200;
    ctx.remove('location');
    ctx.type = 'html';
    ctx.body = frontchannelPage(frames, next_);
  };
}

interface StoredSessionState {
  secret?: string;
  postLogoutRedirectUri?: string;
  state?: string;
}

/**
 * "No" on the logout consent page: the session stays, and the application receives `error=access_denied`
 * at its `post_logout_redirect_uri` (IS's page otherwise).
 */
export function denyLogout(
  _req: IncomingMessage,
  res: ServerResponse,
  tenant: Tenant,
  sessionId: string | undefined,
  xsrf: string | undefined,
): void {
  const session = sessionId ? tenant.storage.get('Session', sessionId) : undefined;
  const state = session?.state as StoredSessionState | undefined;
  let location: string;
  if (!state || !xsrf || state.secret !== xsrf) {
    location = errorPageUrl('access_denied', 'could not find logout details');
  } else if (state.postLogoutRedirectUri) {
    const url = new URL(state.postLogoutRedirectUri);
    url.searchParams.set('error', 'access_denied');
    url.searchParams.set('error_description', 'End User denied the logout request');
    if (state.state !== undefined) url.searchParams.set('state', state.state);
    location = url.href;
  } else {
    location = errorPageUrl('access_denied', 'End User denied the logout request');
  }
  res.statusCode = 302;
  res.setHeader('location', location);
  res.setHeader('cache-control', 'no-store');
  res.end();
}
