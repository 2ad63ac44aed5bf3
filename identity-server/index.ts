/**
 * A local identity server that behaves like WSO2 Identity Server on the wire, built on oidc-provider, for
 * trying passport-wso2is, integration tests, the example app and benchmarks. Development tooling only.
 *
 * ```ts
 * const is = await startIdentityServer({
 *   port: 0,
 *   tenants: [{ domain: 'acme.com' }],
 *   users: [{ username: 'alice@acme.com', password: 'secret', email: 'alice@acme.com' }],
 *   applications: [{ clientId: 'app', clientSecret: 'secret', tenant: 'acme.com',
 *                    redirectUris: ['https://localhost:5000/login'] }],
 * });
 * is.issuer('acme.com'); // https://localhost:PORT/t/acme.com/oauth2/token
 * await is.stop();
 * ```
 */
import './quiet.js';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { resolve } from 'node:path';
import { Agent } from 'undici';
import { DEFAULT_ADMIN, subjectOf } from './accounts.js';
import { ensureTls } from './certificates.js';
import { loadSigningKey, type SigningJwk } from './keys.js';
import {
  SUPER_TENANT,
  type ApplicationOptions,
  type IdentityServerOptions,
  type TenantOptions,
  type UserOptions,
} from './options.js';
import { Router } from './router.js';
import { Tenant, newCookieSecret, tenantBase } from './tenants.js';

export * from './options.js';
export type { SigningJwk } from './keys.js';

/** A running identity server. */
export interface IdentityServer {
  /** `https://localhost:PORT` */
  origin: string;
  /** Port actually listened on. */
  port: number;
  /** Path of the CA PEM file (what `certificatePath` should point at). */
  caPath: string;
  /** The CA certificate, PEM. */
  caPem: string;
  /** Tenant base URL: `{origin}` for the super tenant, `{origin}/t/{tenant}` otherwise. */
  baseUrl(tenant?: string): string;
  /** Issuer of a tenant's tokens: `{base}/oauth2/token` (the super tenant's for a legacy tenant). */
  issuer(tenant?: string): string;
  /** WSO2 discovery URL: `{base}/oauth2/token/.well-known/openid-configuration`. */
  discoveryUrl(tenant?: string): string;
  /** Publishes a new signing key for the tenant and signs with it from now on. Returns the new `kid`. */
  rotateKeys(tenant?: string): Promise<string>;
  /** Current signing keys of a tenant (public parts), newest (the signing one) first. */
  publicKeys(tenant?: string): Omit<SigningJwk, 'd' | 'p' | 'q' | 'dp' | 'dq' | 'qi'>[];
  /** The user as stored (id, qualified username), e.g. to predict `sub`. */
  user(username: string, tenant?: string): { id: string; qualifiedUsername: string; sub: string } | undefined;
  /** Stops listening and closes open connections. */
  stop(): Promise<void>;
}

function tenantOfUser(user: UserOptions, tenants: Set<string>): string {
  if (user.tenant) return user.tenant;
  const at = user.username.lastIndexOf('@');
  if (at > 0) {
    const domain = user.username.slice(at + 1);
    if (tenants.has(domain)) return domain;
  }
  return SUPER_TENANT;
}

/** Starts the identity server. See {@link IdentityServerOptions} for the options and their defaults. */
export async function startIdentityServer(options: IdentityServerOptions = {}): Promise<IdentityServer> {
  const host = options.host ?? 'localhost';
  const dataDir = resolve(options.dataDir ?? '.data/identity-server');
  const tls = await ensureTls(dataDir);

  const legacyNames = new Set(options.legacyTenants ?? []);
  const tenantOptions = new Map<string, TenantOptions>([[SUPER_TENANT, { domain: SUPER_TENANT }]]);
  for (const t of options.tenants ?? []) tenantOptions.set(t.domain, { ...tenantOptions.get(t.domain), ...t });
  for (const name of legacyNames) {
    if (!tenantOptions.has(name)) tenantOptions.set(name, { domain: name });
  }
  for (const name of tenantOptions.keys()) {
    if (!/^[A-Za-z0-9.-]+$/.test(name)) throw new Error(`identity server: invalid tenant domain ${JSON.stringify(name)}`);
  }

  // Outgoing calls (back-channel logout) trust the local CA and may reach loopback addresses.
  const outbound = new Agent({ connect: { ca: tls.caPem } });
  const context = {
    origin: '',
    cookieSecret: newCookieSecret(),
    logoutConsent: options.logoutConsent === true,
    fetch: (url: string | URL, init: RequestInit) =>
      fetch(url, { ...init, dispatcher: outbound } as RequestInit),
  };

  const tenants = new Map<string, Tenant>();
  for (const t of tenantOptions.values()) {
    const legacy = t.domain !== SUPER_TENANT && (t.legacy === true || legacyNames.has(t.domain));
    tenants.set(t.domain, new Tenant(t.domain, legacy, t.subject ?? 'uuid', context));
  }
  const getTenant = (name = SUPER_TENANT): Tenant => {
    const tenant = tenants.get(name);
    if (!tenant) throw new Error(`identity server: unknown tenant ${name}`);
    return tenant;
  };

  const users = [...(options.users ?? [])];
  const names = new Set(tenants.keys());
  if (!users.some((u) => tenantOfUser(u, names) === SUPER_TENANT && u.username === 'admin')) users.unshift(DEFAULT_ADMIN);
  for (const user of users) getTenant(tenantOfUser(user, names)).users.add(user);

  const clientIds = new Set<string>();
  for (const app of options.applications ?? []) {
    if (clientIds.has(app.clientId)) throw new Error(`identity server: duplicate client id ${app.clientId}`);
    clientIds.add(app.clientId);
    getTenant(app.tenant).applications.set(app.clientId, app as ApplicationOptions);
  }

  await Promise.all([...tenants.values()].map(async (t) => {
    t.keys = [await loadSigningKey(dataDir, t.domain)];
  }));

  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 9443, host, () => {
      server.off('error', fail);
      done();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostPort = `localhost:${port}`;
  context.origin = `https://${hostPort}`;
  for (const t of tenants.values()) t.build();

  const router = new Router(tenants, hostPort, options.logRequests === true);
  server.on('request', router.handle);

  const baseUrl = (tenant = SUPER_TENANT) => `${context.origin}${tenantBase(getTenant(tenant).domain)}`;
  return {
    origin: context.origin,
    port,
    caPath: tls.caPath,
    caPem: tls.caPem,
    baseUrl,
    issuer: (tenant) => getTenant(tenant).issuer,
    discoveryUrl: (tenant) => `${baseUrl(tenant)}/oauth2/token/.well-known/openid-configuration`,
    rotateKeys: async (tenant) => (await getTenant(tenant).rotateKeys()).kid,
    publicKeys: (tenant) =>
      getTenant(tenant).keys.map(({ kty, kid, use, alg, n, e, x5c, 'x5t#S256': x5t }) => ({
        kty, kid, use, alg, n, e, x5c, 'x5t#S256': x5t,
      })),
    user: (username, tenant) => {
      const t = getTenant(tenant);
      const found = t.users.find(username);
      return found && { id: found.id, qualifiedUsername: found.qualifiedUsername, sub: subjectOf(found, t.subject) };
    },
    stop: async () => {
      server.closeIdleConnections?.();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => server.close(() => done()));
      await outbound.close();
    },
  };
}
