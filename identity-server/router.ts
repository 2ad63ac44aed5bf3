/**
 * The request router in front of the tenants' providers. It picks the tenant (`/t/{tenant}` prefix, or for
 * the un-prefixed paths shared by the super tenant and legacy tenants: `tenantDomain`, the client id, the
 * `id_token_hint` audience, the interaction or session cookie), serves IS's own pages, rewrites IS's
 * discovery paths to the provider's, and applies IS's token endpoint client authentication rules.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeJwt } from 'jose';
import { parseCookies } from './cookies.js';
import { denyLogout } from './logout.js';
import { handleConsent, handleLogin } from './interactions.js';
import { errorPage } from './pages.js';
import { CONSENT_PATH, ERROR_PATH, LOGIN_PATH, LOGOUT_DENY_PATH } from './paths.js';
import { SUPER_TENANT } from './options.js';
import type { Tenant } from './tenants.js';

const DISCOVERY_PATHS = new Set([
  '/oauth2/token/.well-known/openid-configuration',
  '/oauth2/oidcdiscovery/.well-known/openid-configuration',
]);
const CLIENT_AUTH_PATHS = new Set(['/oauth2/token', '/oauth2/revoke', '/oauth2/introspect', '/oauth2/par']);
const BODY_LIMIT = 64 * 1024;

/** Request with the body already read (oidc-provider uses `req.body` when the stream is consumed). */
type BufferedRequest = IncomingMessage & { body?: Buffer };

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) throw new Error('request entity too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify(body));
}

function sendHtml(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(body);
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const index = decoded.indexOf(':');
  if (index < 0) return undefined;
  return { id: decoded.slice(0, index), secret: decoded.slice(index + 1) };
}

export class Router {
  constructor(
    private readonly tenants: Map<string, Tenant>,
    private readonly host: string,
    private readonly log: boolean,
  ) {}

  private get superTenant(): Tenant {
    return this.tenants.get(SUPER_TENANT)!;
  }

  private tenantOfClient(clientId: string | null | undefined): Tenant | undefined {
    if (!clientId) return undefined;
    for (const tenant of this.tenants.values()) if (tenant.applications.has(clientId)) return tenant;
    return undefined;
  }

  /** Which provider serves an un-prefixed request: the super tenant, or a legacy tenant. */
  private resolveUnprefixed(req: IncomingMessage, url: URL, form: URLSearchParams | undefined): Tenant {
    const legacy = [...this.tenants.values()].filter((t) => t.legacy);
    const fallback = this.superTenant;
    if (legacy.length === 0) return fallback;
    const pick = (t: Tenant | undefined) => (t && (t.legacy || t === fallback) ? t : undefined);

    const named = url.searchParams.get('tenantDomain') ?? form?.get('tenantDomain');
    if (named) return pick(this.tenants.get(named)) ?? fallback;

    const clientId = url.searchParams.get('client_id') ?? form?.get('client_id')
      ?? basicCredentials(req.headers.authorization)?.id;
    const byClient = pick(this.tenantOfClient(clientId));
    if (byClient) return byClient;

    const hint = url.searchParams.get('id_token_hint') ?? form?.get('id_token_hint');
    if (hint) {
      try {
        const { aud } = decodeJwt(hint);
        const byHint = pick(this.tenantOfClient(Array.isArray(aud) ? aud[0] : aud));
        if (byHint) return byHint;
      } catch {
        // not a JWT: the provider reports it
      }
    }

    const cookies = parseCookies(req.headers.cookie);
    const resume = /^\/oauth2\/authorize\/([^/]+)$/.exec(url.pathname)?.[1];
    if (resume) {
      const byResume = legacy.find((t) => cookies.get(`${t.cookiePrefix}_interaction_resume`) === resume);
      if (byResume) return byResume;
    }
    const xsrf = form?.get('xsrf');
    if (xsrf) {
      const bySession = legacy.find((t) => {
        const id = cookies.get(`${t.cookiePrefix}opbs`);
        const state = id ? (t.storage.get('Session', id)?.state as { secret?: string } | undefined) : undefined;
        return state?.secret === xsrf;
      });
      if (bySession) return bySession;
    }
    return fallback;
  }

  /** The Node request listener. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = Date.now();
    if (this.log) {
      res.on('finish', () => {
        console.error(`[identity-server] ${req.method} ${req.url} -> ${res.statusCode} (${Date.now() - started} ms)`);
      });
    }
    this.route(req as BufferedRequest, res).catch((err: unknown) => {
      console.error('[identity-server] unhandled error', err);
      if (!res.headersSent) sendHtml(res, 500, errorPage('server_error', 'Internal server error'));
      else res.end();
    });
  };

  private async route(req: BufferedRequest, res: ServerResponse): Promise<void> {
    // IS reports its configured host name whatever the client connected to.
    req.headers.host = this.host;
    const url = new URL(req.url ?? '/', `https://${this.host}`);

    let form: URLSearchParams | undefined;
    if (req.method === 'POST' || req.method === 'PUT') {
      try {
        req.body = await readBody(req);
      } catch {
        return sendJson(res, 413, { error: 'invalid_request', error_description: 'request entity too large' });
      }
      if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        form = new URLSearchParams(req.body.toString('utf8'));
      }
    }

    let tenant: Tenant | undefined;
    let rest = url.pathname;
    const prefixed = /^\/t\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (prefixed) {
      const domain = decodeURIComponent(prefixed[1] ?? '');
      tenant = this.tenants.get(domain);
      rest = prefixed[2] ?? '/';
      if (!tenant || domain === SUPER_TENANT) {
        return sendHtml(res, 404, errorPage('tenant_not_found', `Tenant ${domain} is not available.`));
      }
    }

    // IS's own web pages (shared by all tenants; the tenant is named in the query).
    if (!prefixed && url.pathname.startsWith('/authenticationendpoint/')) {
      const named = this.tenants.get(url.searchParams.get('tenantDomain') ?? form?.get('tenantDomain') ?? SUPER_TENANT);
      if (url.pathname === ERROR_PATH) {
        return sendHtml(res, 200, errorPage(url.searchParams.get('oauthErrorCode') ?? 'error', url.searchParams.get('oauthErrorMsg') ?? ''));
      }
      if (!named) return sendHtml(res, 404, errorPage('tenant_not_found', 'Unknown tenant domain.'));
      if (url.pathname === LOGIN_PATH) return handleLogin(named, req, res, url, form);
      if (url.pathname === CONSENT_PATH) return handleConsent(named, req, res, url, form);
      if (url.pathname === LOGOUT_DENY_PATH && req.method === 'POST') {
        const sessionId = parseCookies(req.headers.cookie).get(`${named.cookiePrefix}opbs`);
        return denyLogout(req, res, named, sessionId, form?.get('xsrf') ?? undefined);
      }
      return sendHtml(res, 404, errorPage('not_found', 'Page not found.'));
    }

    tenant ??= this.resolveUnprefixed(req, url, form);

    if (DISCOVERY_PATHS.has(rest)) {
      req.url = `/.well-known/openid-configuration${url.search}`;
      return tenant.handler(req, res);
    }
    if (rest.startsWith('/.well-known/')) {
      // Released IS versions serve nothing at the root /.well-known.
      return sendJson(res, 404, { error: 'not_found' });
    }

    if (req.method === 'POST' && CLIENT_AUTH_PATHS.has(rest) && form) {
      const basic = basicCredentials(req.headers.authorization);
      const bodySecret = form.get('client_secret');
      if (basic && (bodySecret !== null || form.get('client_assertion') !== null)) {
        return sendJson(res, 400, {
          error: 'invalid_request',
          error_description: 'Request body and headers contain authorization information',
        });
      }
      // IS accepts client_secret_basic and client_secret_post for every application, and does not
      // URL-decode Basic credentials: hand the provider the raw values.
      const id = basic?.id ?? (bodySecret !== null ? form.get('client_id') : null);
      const secret = basic?.secret ?? bodySecret;
      if (id !== null && id !== undefined && secret !== null && secret !== undefined) {
        form.delete('client_id');
        form.delete('client_secret');
        const credentials = `${encodeURIComponent(id)}:${encodeURIComponent(secret)}`;
        req.headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
        req.body = Buffer.from(form.toString());
        req.headers['content-length'] = String(req.body.length);
      }
    }

    return tenant.handler(req, res);
  }
}
