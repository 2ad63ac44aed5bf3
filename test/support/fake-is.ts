/**
 * A scripted WSO2 IS on a real HTTPS server (`https://localhost:PORT`, self-signed certificate for localhost
 * like IS's shipped wso2carbon one), for the cases the local identity server cannot be made to produce (faults,
 * malformed or hostile answers) and for fast unit tests of the callback rules. It signs real ID tokens with jose,
 * checks PKCE, redirect_uri and client authentication as IS does, and counts every request it receives.
 * Faults are injected per endpoint with {@link FakeIs.reply} / {@link FakeIs.override}; IS down is a closed
 * port ({@link FakeIs.down}). Integration tests use the real local identity server instead (identity-server/).
 *
 * Nothing here intercepts the strategy's HTTP client: the strategy talks to this server over real TLS, trusting
 * it through its `ca` option ({@link FakeIs.strategyOptions}).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import * as jose from 'jose';
import { selfSignedCertificate } from './certificate.js';

const HOST = 'localhost';

export interface FakeIsOptions {
  tenantPath?: string;
  clientId?: string;
  clientSecret?: string;
  /**
   * Issuer reported by discovery and put in tokens, or a function of the origin (only known once started).
   * Default `{origin}{tenantPath}/oauth2/token`.
   */
  issuer?: string | ((origin: string) => string);
  /** Serve this tenant from that (started) FakeIs's server: one IS, several tenants. */
  server?: FakeIs;
}

export interface IssuedCode {
  /** Claims added to (or replacing) the ID token's. */
  claims?: Record<string, unknown>;
  /** Userinfo answer; default `{ sub }`. */
  userinfo?: Record<string, unknown>;
  /** Replaces the whole token response body. */
  tokenResponse?: (defaults: Record<string, unknown>) => Record<string, unknown>;
  /** Sign the ID token with this key/alg instead of the published one. */
  signWith?: { key: CryptoKey | Uint8Array; alg: string; kid?: string };
}

/** The endpoints FakeIs serves (paths under `{origin}{tenantPath}`). */
export type Endpoint = 'discovery' | 'jwks' | 'token' | 'userinfo';

/** A request as received by FakeIs. */
export interface FakeIsRequest {
  method: string;
  /** Path and query. */
  url: string;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  body: string;
  /** The body read as a form. */
  form: URLSearchParams;
}

/** An answer. An object body is sent as JSON; a string or Buffer as it is (no content-type unless given). */
export interface FakeIsReply {
  status?: number;
  body?: string | Buffer | Record<string, unknown> | unknown[];
  headers?: Record<string, string>;
  /** Answer only after this long (an IS slower than the strategy's `timeout`). */
  delayMs?: number;
  /** Drop the connection instead of answering (a reset mid-request). */
  destroy?: boolean;
}

/** Answers a request, or returns undefined to leave it to the next override or to FakeIs's own behaviour. */
export type FakeIsHandler = (req: FakeIsRequest) => FakeIsReply | undefined | Promise<FakeIsReply | undefined>;

export interface FaultOptions {
  /** How many requests this answers; default 1 (`Infinity`: all subsequent ones). */
  times?: number;
}

interface CodeRecord extends IssuedCode {
  nonce: string;
  challenge: string;
  redirectUri: string;
}

interface Override {
  endpoint: Endpoint;
  handler: FakeIsHandler;
  remaining: number;
}

interface SigningKey {
  key: CryptoKey;
  kid: string;
  jwk: jose.JWK;
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = await jose.exportJWK(publicKey);
  const kid = `${(await jose.calculateJwkThumbprint(jwk)).slice(0, 20)}_RS256`;
  return { key: privateKey, kid, jwk: { ...jwk, kid, alg: 'RS256', use: 'sig' } };
}

// Generating RSA keys and certificates is slow: one of each per test process. Tests that need another key call
// rotate(), which always generates a new one.
let sharedKey: Promise<SigningKey> | undefined;
let sharedCertificate: Promise<{ certPem: string; keyPem: string }> | undefined;

/** The `localhost` certificate every FakeIs of this process presents (generated once). */
export function fakeIsCertificate(): Promise<{ certPem: string; keyPem: string }> {
  sharedCertificate ??= selfSignedCertificate(HOST);
  return sharedCertificate;
}

/** `https://localhost:PORT` where nothing listens (listened on, then closed): an unreachable IS. */
export async function unreachableOrigin(): Promise<string> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, HOST, resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `https://${HOST}:${port}`;
}

/** The HTTPS server behind one or more FakeIs tenants. */
class FakeIsServer {
  readonly tenants: FakeIs[] = [];
  connections = 0;
  port = 0;
  private server: Server | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly cert: { certPem: string; keyPem: string }) {}

  get caPem(): string {
    return this.cert.certPem;
  }

  async listen(port = 0): Promise<void> {
    const server = createServer({ cert: this.cert.certPem, key: this.cert.keyPem }, (req, res) => {
      void this.handle(req, res);
    });
    server.on('connection', () => {
      this.connections++;
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Stops listening and drops every open connection. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : (v ?? '')]),
    );
    const request: FakeIsRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers, body, form: new URLSearchParams(body) };
    const path = new URL(request.url, 'https://localhost').pathname;
    // The tenant with the longest matching base path (the super tenant's is empty).
    const tenant = [...this.tenants]
      .sort((a, b) => b.tenantPath.length - a.tenantPath.length)
      .find((t) => path.startsWith(`${t.tenantPath}/`));
    let reply: FakeIsReply;
    try {
      reply = (tenant ? await tenant.serve(path.slice(tenant.tenantPath.length), request) : undefined)
        ?? { status: 404, body: { error: 'not_found', error_description: `FakeIs serves no ${request.method} ${path}` } };
    } catch (err) {
      reply = { status: 500, body: { error: 'server_error', error_description: `FakeIs failed: ${String(err)}` } };
    }
    if (reply.delayMs) await this.delay(reply.delayMs);
    if (res.destroyed || req.socket.destroyed) return;
    if (reply.destroy) {
      req.socket.destroy();
      return;
    }
    const isJson = reply.body !== undefined && typeof reply.body !== 'string' && !Buffer.isBuffer(reply.body);
    const payload = reply.body === undefined ? '' : isJson ? JSON.stringify(reply.body) : (reply.body as string | Buffer);
    res.statusCode = reply.status ?? 200;
    if (isJson) res.setHeader('content-type', 'application/json');
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    res.end(payload);
  }
}

export class FakeIs {
  readonly tenantPath: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Requests received, by kind (faults injected with reply()/override() included). */
  readonly counts = { discovery: 0, jwks: 0, token: 0, userinfo: 0 };
  /** The last token request's headers and body, for assertions on client authentication. */
  lastTokenRequest: { headers: Record<string, string | string[] | undefined>; body: URLSearchParams } | undefined;
  kid = '';
  private readonly codes = new Map<string, CodeRecord>();
  private readonly accessTokens = new Map<string, Record<string, unknown>>();
  private readonly overrides: Override[] = [];
  private key!: CryptoKey;
  private jwk!: jose.JWK;
  private host: FakeIsServer | undefined;
  private discoveryRewrite: ((doc: Record<string, unknown>) => Record<string, unknown>) | undefined;

  constructor(private readonly options: FakeIsOptions = {}) {
    this.tenantPath = options.tenantPath ?? '';
    this.clientId = options.clientId ?? 'client-1';
    this.clientSecret = options.clientSecret ?? 'secret-1';
  }

  private get started(): FakeIsServer {
    if (!this.host) throw new Error('FakeIs: call start() first');
    return this.host;
  }

  /** `https://localhost:PORT` */
  get origin(): string {
    return `https://${HOST}:${this.started.port}`;
  }

  /** `{origin}{tenantPath}` */
  get base(): string {
    return `${this.origin}${this.tenantPath}`;
  }

  get issuer(): string {
    const { issuer } = this.options;
    if (typeof issuer === 'function') return issuer(this.origin);
    return issuer ?? `${this.base}/oauth2/token`;
  }

  /** The PEM of the certificate this server presents: what the strategy's `ca` must hold. */
  get caPem(): string {
    return this.started.caPem;
  }

  /** TCP connections accepted by this server, handshake done or not (shared by the tenants of one server). */
  get connections(): number {
    return this.started.connections;
  }

  /** What a strategy needs to talk to this IS: `{ serverOrigin, ca, clientId, clientSecret }`. */
  strategyOptions(): { serverOrigin: string; ca: string; clientId: string; clientSecret: string } {
    return { serverOrigin: this.origin, ca: this.caPem, clientId: this.clientId, clientSecret: this.clientSecret };
  }

  /** The discovery document IS would serve. */
  discoveryDocument(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      authorization_endpoint: `${this.base}/oauth2/authorize`,
      token_endpoint: `${this.base}/oauth2/token`,
      userinfo_endpoint: `${this.base}/oauth2/userinfo`,
      jwks_uri: `${this.base}/oauth2/jwks`,
      revocation_endpoint: `${this.base}/oauth2/revoke`,
      introspection_endpoint: `${this.base}/oauth2/introspect`,
      end_session_endpoint: `${this.base}/oidc/logout`,
      response_types_supported: ['code', 'id_token', 'code id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256', 'plain'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: ['openid', 'profile', 'email'],
    };
  }

  /**
   * Listens on a free port of localhost (or joins `options.server`'s server) with the process's shared signing
   * key; `discovery` rewrites the discovery document served.
   */
  async start(options: { discovery?: (doc: Record<string, unknown>) => Record<string, unknown> } = {}): Promise<this> {
    this.discoveryRewrite = options.discovery;
    sharedKey ??= newSigningKey();
    this.useKey(await sharedKey);
    if (this.options.server) {
      this.host = this.options.server.started;
    } else {
      const server = new FakeIsServer(await fakeIsCertificate());
      await server.listen();
      this.host = server;
    }
    this.host.tenants.push(this);
    return this;
  }

  /** Stops the server (every tenant on it) and drops its connections. */
  async close(): Promise<void> {
    if (this.options.server) {
      const tenants = this.host?.tenants;
      if (tenants?.includes(this)) tenants.splice(tenants.indexOf(this), 1);
      return;
    }
    await this.host?.stop();
  }

  /** IS goes down: the port is closed (connections refused) and open connections are dropped. */
  async down(): Promise<void> {
    await this.started.stop();
  }

  /** IS is back on the same port. */
  async up(): Promise<void> {
    const server = this.started;
    await server.listen(server.port);
  }

  /**
   * Answers the next `times` requests to `endpoint` (default 1) with `handler`, before FakeIs's own behaviour;
   * a handler returning undefined leaves that request to the next override or to FakeIs. Overrides are tried in
   * the order they were installed.
   */
  override(endpoint: Endpoint, handler: FakeIsHandler, options: FaultOptions = {}): this {
    this.overrides.push({ endpoint, handler, remaining: options.times ?? 1 });
    return this;
  }

  /** Answers the next `times` requests to `endpoint` (default 1) with this status and body. */
  reply(endpoint: Endpoint, status: number, body?: FakeIsReply['body'], options: FaultOptions & Pick<FakeIsReply, 'headers' | 'delayMs'> = {}): this {
    const { times, ...rest } = options;
    return this.override(endpoint, () => ({ status, ...(body !== undefined ? { body } : {}), ...rest }), times !== undefined ? { times } : {});
  }

  /** Serves `path` (below the tenant path); undefined when it is none of FakeIs's endpoints. */
  async serve(path: string, req: FakeIsRequest): Promise<FakeIsReply | undefined> {
    const endpoint = this.endpointOf(req.method, path);
    if (!endpoint) return undefined;
    this.counts[endpoint]++;
    if (endpoint === 'token') this.lastTokenRequest = { headers: { ...req.headers }, body: req.form };
    for (const o of this.overrides) {
      if (o.endpoint !== endpoint || o.remaining <= 0) continue;
      const reply = await o.handler(req);
      if (reply === undefined) continue;
      o.remaining--;
      return reply;
    }
    switch (endpoint) {
      case 'discovery': {
        const doc = this.discoveryDocument();
        return { status: 200, body: this.discoveryRewrite ? this.discoveryRewrite(doc) : doc };
      }
      case 'jwks':
        return { status: 200, body: { keys: [this.jwk] } };
      case 'token':
        return this.token(req.headers, req.form);
      case 'userinfo':
        return this.userinfo(req.headers['authorization']);
    }
  }

  private endpointOf(method: string, path: string): Endpoint | undefined {
    if (method === 'GET' && path === '/oauth2/token/.well-known/openid-configuration') return 'discovery';
    if (method === 'GET' && path === '/oauth2/jwks') return 'jwks';
    if (method === 'POST' && path === '/oauth2/token') return 'token';
    if (method === 'GET' && path === '/oauth2/userinfo') return 'userinfo';
    return undefined;
  }

  private useKey(k: SigningKey): void {
    this.key = k.key;
    this.kid = k.kid;
    this.jwk = k.jwk;
  }

  /** A new signing key, published in the JWKS from now on (IS's key rotation). Also usable before start(). */
  async rotate(): Promise<void> {
    this.useKey(await newSigningKey());
  }

  /**
   * Plays IS's authorize endpoint for a redirect the strategy produced: records a code bound to its nonce,
   * PKCE challenge and redirect_uri, and returns the callback query IS would send.
   */
  authorize(location: string, issued: IssuedCode = {}): { code: string; state: string; nonce: string; redirectUri: string } {
    const url = new URL(location);
    const p = url.searchParams;
    const code = randomUUID();
    const record: CodeRecord = {
      ...issued,
      nonce: p.get('nonce') ?? '',
      challenge: p.get('code_challenge') ?? '',
      redirectUri: p.get('redirect_uri') ?? '',
    };
    this.codes.set(code, record);
    return { code, state: p.get('state') ?? '', nonce: record.nonce, redirectUri: record.redirectUri };
  }

  /** Signs an ID token as IS would. */
  async idToken(claims: Record<string, unknown>, signWith?: IssuedCode['signWith']): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      iss: this.issuer,
      aud: this.clientId,
      azp: this.clientId,
      iat: now,
      nbf: now,
      exp: now + 3600,
      jti: randomUUID(),
      amr: ['BasicAuthenticator'],
      sid: randomUUID(),
      ...claims,
    };
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete (payload as Record<string, unknown>)[k];
    const alg = signWith?.alg ?? 'RS256';
    return new jose.SignJWT(payload)
      .setProtectedHeader({ alg, kid: signWith ? signWith.kid : this.kid, typ: 'JWT' })
      .sign(signWith?.key ?? this.key);
  }

  private checkClient(headers: Record<string, string>, body: URLSearchParams): boolean {
    const basic = headers['authorization'];
    if (basic && body.has('client_secret')) return false;
    if (basic) {
      const [id, secret] = Buffer.from(basic.replace(/^Basic /, ''), 'base64').toString().split(':');
      return id === this.clientId && secret === this.clientSecret;
    }
    return body.get('client_id') === this.clientId && body.get('client_secret') === this.clientSecret;
  }

  private async token(headers: Record<string, string>, body: URLSearchParams): Promise<FakeIsReply> {
    if (headers['authorization'] && body.has('client_secret')) {
      return { status: 400, body: { error: 'invalid_request', error_description: 'Request body and headers contain authorization information' } };
    }
    if (!this.checkClient(headers, body)) return { status: 401, body: { error: 'invalid_client', error_description: 'Client Authentication failed.' } };
    const code = body.get('code') ?? '';
    const record = this.codes.get(code);
    if (!record) return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid authorization code received from token request' } };
    this.codes.delete(code);
    if (body.get('redirect_uri') !== record.redirectUri) return { status: 400, body: { error: 'invalid_request', error_description: 'Callback url mismatch' } };
    const verifier = body.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== record.challenge) {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'PKCE validation failed' } };
    }
    const sub = (record.claims?.['sub'] as string | undefined) ?? 'c5f0a7a2-3b7e-4a51-9d3c-2f1f6f0b9a11';
    const accessToken = randomUUID();
    this.accessTokens.set(accessToken, record.userinfo ?? { sub });
    const idToken = await this.idToken({ sub, nonce: record.nonce, ...record.claims }, record.signWith);
    const defaults = { access_token: accessToken, refresh_token: randomUUID(), id_token: idToken, token_type: 'Bearer', expires_in: 3600, scope: 'openid profile email' };
    return { status: 200, body: record.tokenResponse ? record.tokenResponse(defaults) : defaults };
  }

  private userinfo(authorization: string | undefined): FakeIsReply {
    const token = authorization?.replace(/^Bearer /, '') ?? '';
    const info = this.accessTokens.get(token);
    if (!info) return { status: 401, body: { error: 'invalid_token', error_description: 'Access token validation failed' } };
    return { status: 200, body: info };
  }
}
