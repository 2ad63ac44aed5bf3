/**
 * Translation of oidc-provider's error responses into the ones WSO2 IS sends, so that clients meet IS's
 * codes and descriptions (the descriptions are part of what users search for).
 */
import type { KoaContextWithOIDC } from 'oidc-provider';

type Middleware = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>;
import type { Tenant } from './tenants.js';

/** `error_detail` of oidc-provider's `invalid_grant` errors → IS's `error_description`. */
const GRANT_DETAILS: [RegExp, string][] = [
  [/authorization code not found/i, 'Invalid authorization code received from token request'],
  [/authorization code is expired/i, 'Expired or Revoked authorization code'],
  [/authorization code already consumed/i, 'Inactive authorization code received from token request'],
  [/redirect_uri mismatch/i, 'Callback url mismatch'],
  [/PKCE verification failed|code_verifier/i, 'PKCE validation failed'],
  [/refresh token not found/i, 'Persisted access token data not found'],
  [/refresh token is expired/i, 'Refresh token is expired.'],
];

/** Authorization error descriptions → IS's. */
const AUTHORIZATION_DESCRIPTIONS: [RegExp, string][] = [
  [/requires PKCE to be used/i, 'PKCE is mandatory for this application'],
];

interface ErrorBody {
  error: string;
  error_description?: string;
}

function isErrorBody(body: unknown): body is ErrorBody {
  return typeof body === 'object' && body !== null && typeof (body as ErrorBody).error === 'string';
}

/** Remembers the hidden `error_detail` of token endpoint errors so {@link remapErrors} can translate them. */
export function recordGrantErrors(tenant: Tenant): void {
  tenant.provider.on('grant.error', (ctx: KoaContextWithOIDC, err: { error_detail?: string }) => {
    ctx.state.wso2Detail = err.error_detail;
  });
}

/** Koa middleware installed with `provider.use()`. */
export function remapErrors(_tenant: Tenant): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === 'revocation' && ctx.status === 200) {
      // IS answers a revocation with an empty body labelled application/json.
      ctx.body = '';
      ctx.type = 'application/json';
      return;
    }
    const body: unknown = ctx.body;
    if (isErrorBody(body)) {
      if (body.error === 'invalid_client') {
        ctx.body = { error: 'invalid_client', error_description: 'Client Authentication failed.' };
        ctx.status = 401;
      } else if (body.error === 'invalid_grant') {
        const detail = String(ctx.state.wso2Detail ?? '');
        const match = GRANT_DETAILS.find(([re]) => re.test(detail));
        if (match) ctx.body = { error: 'invalid_grant', error_description: match[1] };
      }
      return;
    }
    if (ctx.status === 302 || ctx.status === 303) {
      const location = ctx.response.get('location');
      if (!location.includes('error=')) return;
      let url: URL;
      try {
        url = new URL(location);
      } catch {
        return;
      }
      const description = url.searchParams.get('error_description');
      const match = description ? AUTHORIZATION_DESCRIPTIONS.find(([re]) => re.test(description)) : undefined;
      if (match) {
        url.searchParams.set('error_description', match[1]);
        ctx.set('location', url.href);
      }
    }
  };
}
