/**
 * A scripted WSO2 IS played with nock, for the cases a real server cannot be made to produce (faults, malformed
 * or hostile answers) and for fast unit tests of the callback rules. It signs real ID tokens with jose, checks
 * PKCE, redirect_uri and client authentication as IS does, and counts every request it receives.
 * Integration tests use the real local identity server instead (identity-server/).
 */
import { createHash, randomUUID } from 'node:crypto';
import nock from 'nock';
import * as jose from 'jose';

export interface FakeIsOptions {
  origin?: string;
  tenantPath?: string;
  clientId?: string;
  clientSecret?: string;
  /** Issuer reported by discovery and put in tokens. Default `{origin}{tenantPath}/oauth2/token`. */
  issuer?: string;
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

interface CodeRecord extends IssuedCode {
  nonce: string;
  challenge: string;
  redirectUri: string;
}

function headersOf(headers: Record<string, string | string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v]));
}

export class FakeIs {
  readonly origin: string;
  readonly base: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Requests received, by kind. */
  readonly counts = { discovery: 0, jwks: 0, token: 0, userinfo: 0 };
  /** The last token request's headers and body, for assertions on client authentication. */
  lastTokenRequest: { headers: Record<string, string | string[] | undefined>; body: URLSearchParams } | undefined;
  private readonly codes = new Map<string, CodeRecord>();
  private key!: CryptoKey;
  private jwk!: jose.JWK;
  kid = '';

  constructor(options: FakeIsOptions = {}) {
    this.origin = options.origin ?? 'https://is.example.test:9443';
    this.base = `${this.origin}${options.tenantPath ?? ''}`;
    this.issuer = options.issuer ?? `${this.base}/oauth2/token`;
    this.clientId = options.clientId ?? 'client-1';
    this.clientSecret = options.clientSecret ?? 'secret-1';
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

  /** Generates the signing key and installs persistent nock interceptors for every endpoint. */
  async start(options: { discovery?: (doc: Record<string, unknown>) => Record<string, unknown> } = {}): Promise<this> {
    await this.rotate();
    const scope = nock(this.origin).persist();
    const path = (p: string) => `${this.base.slice(this.origin.length)}${p}`;
    scope.get(path('/oauth2/token/.well-known/openid-configuration')).reply(() => {
      this.counts.discovery++;
      const doc = this.discoveryDocument();
      return [200, options.discovery ? options.discovery(doc) : doc];
    });
    scope.get(path('/oauth2/jwks')).reply(() => {
      this.counts.jwks++;
      return [200, { keys: [this.jwk] }];
    });
    // nock hands the intercepted request to reply functions as `this.req`.
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- reply functions get nock's context as `this`
    const self = this;
    scope.post(path('/oauth2/token')).reply(async function (this: nock.ReplyFnContext, _uri, body) {
      self.counts.token++;
      return self.token(headersOf(this.req.headers), new URLSearchParams(String(body)));
    });
    scope.get(path('/oauth2/userinfo')).reply(function (this: nock.ReplyFnContext) {
      self.counts.userinfo++;
      return self.userinfo(headersOf(this.req.headers)['authorization']);
    });
    return this;
  }

  /** A new signing key, published in the JWKS from now on (IS's key rotation). */
  async rotate(): Promise<void> {
    const { privateKey, publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
    this.key = privateKey as CryptoKey;
    const jwk = await jose.exportJWK(publicKey);
    this.kid = `${(await jose.calculateJwkThumbprint(jwk)).slice(0, 20)}_RS256`;
    this.jwk = { ...jwk, kid: this.kid, alg: 'RS256', use: 'sig' };
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

  private async token(headers: Record<string, string>, body: URLSearchParams): Promise<[number, Record<string, unknown>]> {
    this.lastTokenRequest = { headers: { ...headers }, body };
    if (headers['authorization'] && body.has('client_secret')) {
      return [400, { error: 'invalid_request', error_description: 'Request body and headers contain authorization information' }];
    }
    if (!this.checkClient(headers, body)) return [401, { error: 'invalid_client', error_description: 'Client Authentication failed.' }];
    const code = body.get('code') ?? '';
    const record = this.codes.get(code);
    if (!record) return [400, { error: 'invalid_grant', error_description: 'Invalid authorization code received from token request' }];
    this.codes.delete(code);
    if (body.get('redirect_uri') !== record.redirectUri) return [400, { error: 'invalid_request', error_description: 'Callback url mismatch' }];
    const verifier = body.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== record.challenge) {
      return [400, { error: 'invalid_grant', error_description: 'PKCE validation failed' }];
    }
    const sub = (record.claims?.['sub'] as string | undefined) ?? 'c5f0a7a2-3b7e-4a51-9d3c-2f1f6f0b9a11';
    const accessToken = randomUUID();
    this.accessTokens.set(accessToken, record.userinfo ?? { sub });
    const idToken = await this.idToken({ sub, nonce: record.nonce, ...record.claims }, record.signWith);
    const defaults = { access_token: accessToken, refresh_token: randomUUID(), id_token: idToken, token_type: 'Bearer', expires_in: 3600, scope: 'openid profile email' };
    return [200, record.tokenResponse ? record.tokenResponse(defaults) : defaults];
  }

  private readonly accessTokens = new Map<string, Record<string, unknown>>();

  private userinfo(authorization: string | undefined): [number, Record<string, unknown>] {
    const token = authorization?.replace(/^Bearer /, '') ?? '';
    const info = this.accessTokens.get(token);
    if (!info) return [401, { error: 'invalid_token', error_description: 'Access token validation failed' }];
    return [200, info];
  }
}
