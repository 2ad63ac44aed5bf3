/**
 * The identity server stand-in (a forked process): plain `node:https` with its own CA, WSO2 IS's super tenant
 * paths, and only the work a real IS does per request that a relying party can observe: it checks client
 * authentication, the code (once only), PKCE and redirect_uri, and signs a fresh RS256 ID token per token request
 * with the key published in its JWKS. It counts every request so that the benchmark can tell how many reach IS.
 *
 *   GET  /oauth2/token/.well-known/openid-configuration   discovery (WSO2's path)
 *   GET  /oauth2/jwks                                      the signing key
 *   POST /oauth2/token                                     authorization_code grant
 *   GET  /oauth2/userinfo                                  Bearer access token
 *
 * There is no /oauth2/authorize: the driver plays the browser and the login page, and mints the code itself
 * (see authorization-code.ts).
 */
import { createHash, createPublicKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateTls } from './certificates.js';
import { mintAccessToken, readAccessToken, readCode } from './authorization-code.js';
import { serve } from './rpc.js';

export const CLIENT_ID = 'bench_client_id_7f3a';
export const CLIENT_SECRET = 'bench_client_secret_91c2';

/** Requests received, by endpoint. */
export interface IsCounts {
  discovery: number;
  jwks: number;
  token: number;
  userinfo: number;
  other: number;
  /** Answers other than 200 (a contender sent something IS would refuse). */
  refused: number;
  /** CPU time the stand-in spent (user + system), microseconds. */
  cpuUs: number;
}

/** What the stand-in tells the orchestrator when it is listening. */
export interface IsInfo {
  origin: string;
  issuer: string;
  caPem: string;
  clientId: string;
  clientSecret: string;
}

export type IsApi = {
  counts: (params: undefined) => IsCounts;
  reset: (params: undefined) => void;
};

const zero = (): IsCounts => ({ discovery: 0, jwks: 0, token: 0, userinfo: 0, other: 0, refused: 0, cpuUs: 0 });
const cpuNow = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

class StandIn {
  counts = zero();
  cpuSince = cpuNow();
  private readonly used = new Set<string>();
  private readonly signingKey: KeyObject;
  private readonly kid = randomUUID();
  private discoveryJson = '';
  private readonly jwksJson: string;
  issuer = '';

  constructor() {
    // WSO2 IS signs ID tokens with RS256 and a 2048-bit key by default.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.signingKey = privateKey;
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
    this.jwksJson = JSON.stringify({ keys: [{ ...jwk, kid: this.kid, use: 'sig', alg: 'RS256' }] });
  }

  setOrigin(origin: string): void {
    const base = `${origin}/oauth2`;
    this.issuer = `${base}/token`;
    this.discoveryJson = JSON.stringify({
      issuer: this.issuer,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/token`,
      userinfo_endpoint: `${base}/userinfo`,
      jwks_uri: `${base}/jwks`,
      revocation_endpoint: `${base}/revoke`,
      introspection_endpoint: `${base}/introspect`,
      end_session_endpoint: `${origin}/oidc/logout`,
      response_types_supported: ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token'],
      response_modes_supported: ['query', 'fragment', 'form_post'],
      grant_types_supported: ['authorization_code', 'implicit', 'password', 'client_credentials', 'refresh_token'],
      subject_types_supported: ['public', 'pairwise'],
      id_token_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'PS256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      code_challenge_methods_supported: ['S256', 'plain'],
      scopes_supported: ['openid', 'profile', 'email', 'address', 'phone', 'internal_login'],
      claims_supported: ['sub', 'email', 'given_name', 'family_name', 'username', 'preferred_username'],
      request_parameter_supported: true,
    });
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/oauth2/token/.well-known/openid-configuration') {
      this.counts.discovery++;
      return json(res, 200, this.discoveryJson);
    }
    if (req.method === 'GET' && path === '/oauth2/jwks') {
      this.counts.jwks++;
      return json(res, 200, this.jwksJson);
    }
    if (req.method === 'GET' && path === '/oauth2/userinfo') {
      this.counts.userinfo++;
      return this.userinfo(req, res);
    }
    if (req.method === 'POST' && path === '/oauth2/token') {
      this.counts.token++;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.token(req, Buffer.concat(chunks).toString(), res));
      return;
    }
    this.counts.other++;
    this.refuse(res, 404, 'not_found', `${req.method} ${path} is not served by the stand-in`);
  }

  private refuse(res: ServerResponse, status: number, error: string, description: string): void {
    this.counts.refused++;
    json(res, status, JSON.stringify({ error, error_description: description }));
  }

  private clientOf(req: IncomingMessage, body: URLSearchParams): { id: string | null; secret: string | null } {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      // Like IS: the Basic credentials are not URL-decoded.
      const [id, secret] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      return { id: id ?? null, secret: secret ?? null };
    }
    return { id: body.get('client_id'), secret: body.get('client_secret') };
  }

  private token(req: IncomingMessage, raw: string, res: ServerResponse): void {
    const body = new URLSearchParams(raw);
    const client = this.clientOf(req, body);
    if (client.id !== CLIENT_ID || client.secret !== CLIENT_SECRET) return this.refuse(res, 401, 'invalid_client', 'Client authentication failed');
    if (body.get('grant_type') !== 'authorization_code') return this.refuse(res, 400, 'unsupported_grant_type', 'only authorization_code');
    const code = body.get('code') ?? '';
    const grant = readCode(code);
    if (!grant || this.used.has(code)) return this.refuse(res, 400, 'invalid_grant', 'Invalid authorization code');
    this.used.add(code);
    if (grant.redirectUri !== undefined && body.get('redirect_uri') !== grant.redirectUri) {
      return this.refuse(res, 400, 'invalid_grant', 'Callback url mismatch');
    }
    if (grant.challenge !== undefined) {
      const verifier = body.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) {
        return this.refuse(res, 400, 'invalid_grant', 'PKCE validation failed');
      }
    }
    const accessToken = mintAccessToken(grant.sub);
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      isk: randomUUID(),
      at_hash: createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url'),
      aud: CLIENT_ID,
      sub: grant.sub,
      nbf: now,
      azp: CLIENT_ID,
      amr: ['BasicAuthenticator'],
      iss: this.issuer,
      exp: now + 3600,
      iat: now,
      auth_time: now,
      sid: randomUUID(),
      jti: randomUUID(),
      ...(grant.nonce !== undefined ? { nonce: grant.nonce } : {}),
      email: `${grant.sub}@example.com`,
      given_name: 'Bench',
      family_name: 'User',
      username: grant.sub,
    };
    const header = Buffer.from(JSON.stringify({ x5t: this.kid, kid: this.kid, typ: 'JWT', alg: 'RS256' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), this.signingKey).toString('base64url');
    json(res, 200, JSON.stringify({
      access_token: accessToken,
      refresh_token: randomUUID(),
      scope: body.get('scope') ?? 'openid profile email',
      id_token: `${header}.${payload}.${signature}`,
      token_type: 'Bearer',
      expires_in: 3600,
    }));
  }

  private userinfo(req: IncomingMessage, res: ServerResponse): void {
    const auth = req.headers.authorization ?? '';
    const sub = auth.startsWith('Bearer ') ? readAccessToken(auth.slice(7)) : undefined;
    if (!sub) return this.refuse(res, 401, 'invalid_token', 'Access token validation failed');
    json(res, 200, JSON.stringify({ sub, email: `${sub}@example.com`, given_name: 'Bench', family_name: 'User', username: sub }));
  }
}

function json(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

async function main(): Promise<void> {
  const tls = await generateTls();
  const standIn = new StandIn();
  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem, keepAliveTimeout: 120_000 }, (req, res) => standIn.handle(req, res));
  server.headersTimeout = 130_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `https://localhost:${(server.address() as AddressInfo).port}`;
  standIn.setOrigin(origin);
  const info: IsInfo = { origin, issuer: standIn.issuer, caPem: tls.caPem, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
  serve(
    {
      counts: () => ({ ...standIn.counts, cpuUs: cpuNow() - standIn.cpuSince }),
      reset: () => {
        standIn.counts = zero();
        standIn.cpuSince = cpuNow();
      },
    } satisfies IsApi,
    info,
    async () => {
      server.closeAllConnections();
      server.close();
    },
  );
}

await main();
