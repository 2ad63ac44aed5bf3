/**
 * Shared set-up for the identity server's own tests: a server with a super tenant, a modern tenant and a
 * legacy tenant, openid-client configurations trusting its CA, and a login helper.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from 'openid-client';
import { Agent } from 'undici';
import { startIdentityServer, type IdentityServer, type IdentityServerOptions } from '../../identity-server/index.js';
import { TestBrowser, type BrowserPage } from '../support/browser.js';

/** One data directory for all test runs: keys and certificates are generated once. */
export const TEST_DATA_DIR = join(tmpdir(), 'passport-wso2is-identity-server-tests');
mkdirSync(TEST_DATA_DIR, { recursive: true });

/** Where the test applications' callbacks point; nothing listens there, the browser stops at it. */
export const APP = 'https://app.test.localhost:5000';
export const CALLBACK = `${APP}/login`;
export const LOGOUT_CALLBACK = `${APP}/logout`;
/** Extra audiences of `audience-app`: its ID tokens' `aud` is `['audience-app', ...AUDIENCES]`. */
export const AUDIENCES = ['https://api.example.com', 'billing-service'];

export const fixtureOptions = (extra: Partial<IdentityServerOptions> = {}): IdentityServerOptions => ({
  port: 0,
  dataDir: TEST_DATA_DIR,
  tenants: [{ domain: 'acme.com' }, { domain: 'legacy.com', legacy: true, subject: 'username' }],
  users: [
    { username: 'alice@acme.com', password: 'alice-pw', givenName: 'Alice', familyName: 'Acme', email: 'alice@acme.com', groups: ['staff'], roles: ['Internal/everyone', 'editor'], phoneNumber: '+15550100' },
    { username: 'bob@legacy.com', password: 'bob-pw', email: 'bob@legacy.com', groups: ['ops', 'dev'], roles: ['viewer'] },
  ],
  applications: [
    { clientId: 'super-app', clientSecret: 'super-secret', redirectUris: [CALLBACK, LOGOUT_CALLBACK] },
    { clientId: 'acme-app', clientSecret: 'acme-secret', tenant: 'acme.com', redirectUris: [CALLBACK, LOGOUT_CALLBACK] },
    { clientId: 'legacy-app', clientSecret: 'legacy-secret', tenant: 'legacy.com', redirectUris: [CALLBACK, LOGOUT_CALLBACK] },
    { clientId: 'pkce-app', clientSecret: 'pkce-secret', redirectUris: [CALLBACK], pkceMandatory: true },
    { clientId: 'renew-app', clientSecret: 'renew-secret', redirectUris: [CALLBACK], renewRefreshToken: true, skipConsent: true },
    { clientId: 'audience-app', clientSecret: 'audience-secret', redirectUris: [CALLBACK], audiences: AUDIENCES },
  ],
  ...extra,
});

export function startFixture(extra: Partial<IdentityServerOptions> = {}): Promise<IdentityServer> {
  return startIdentityServer(fixtureOptions(extra));
}

/** An undici dispatcher trusting the server's CA (for openid-client's customFetch). */
export function dispatcherFor(is: IdentityServer): Agent {
  return new Agent({ connect: { ca: is.caPem } });
}

/** openid-client discovery at IS's discovery URL, trusting the CA through `customFetch`. */
export async function discover(
  is: IdentityServer,
  dispatcher: Agent,
  clientId: string,
  secret: string,
  tenant?: string,
  options: { auth?: client.ClientAuth; legacyIssuer?: boolean } = {},
): Promise<client.Configuration> {
  const customFetch: client.CustomFetch = (url, init) =>
    fetch(url, { ...init, dispatcher } as RequestInit) as ReturnType<client.CustomFetch>;
  const base = is.baseUrl(tenant);
  // openid-client appends /.well-known/openid-configuration to the issuer and checks the issuer it gets back;
  // a legacy tenant's document reports the super tenant's issuer, so it is fetched by its full URL (no check).
  const discoveryUrl = new URL(options.legacyIssuer ? `${base}/oauth2/token/.well-known/openid-configuration` : `${base}/oauth2/token`);
  const config = await client.discovery(discoveryUrl, clientId, secret, options.auth, {
    [client.customFetch]: customFetch,
  });
  config[client.customFetch] = customFetch;
  return config;
}

/** A code flow up to the callback: returns the callback URL the browser stopped at. */
export async function authorize(
  config: client.Configuration,
  browser: TestBrowser,
  params: Record<string, string> = {},
): Promise<{ page: BrowserPage; verifier: string; state: string; nonce: string }> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope: 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  const page = await browser.get(url);
  return { page, verifier, state, nonce };
}

/** Full login: authorize, sign in, approve consent when asked; returns the token response. */
export async function login(
  config: client.Configuration,
  browser: TestBrowser,
  username: string,
  password: string,
  params: Record<string, string> = {},
): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
  const { page, verifier, state, nonce } = await authorize(config, browser, params);
  let current = page;
  if (current.url.includes('/authenticationendpoint/login.do')) current = await browser.login(current, username, password);
  if (current.url.includes('/authenticationendpoint/oauth2_consent.do')) current = await browser.consent(current, 'approve');
  if (!current.stopped) throw new Error(`login did not reach the callback: ${current.url} ${current.status} ${current.body.slice(0, 300)}`);
  return client.authorizationCodeGrant(config, new URL(browser.location), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
}

export function newBrowser(is: IdentityServer): TestBrowser {
  return new TestBrowser({ ca: is.caPem, stopAt: [APP] });
}
