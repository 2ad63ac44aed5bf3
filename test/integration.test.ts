/**
 * Wso2IsStrategy against the local WSO2-like identity server: real HTTPS with a self-signed CA trusted only through
 * the strategy's `certificatePath`, real login and consent pages, real signed tokens. The TestBrowser plays the
 * user's browser at IS; when IS sends it to the registered callback URL, the same query is delivered to the test
 * application (which listens on a free port), with the application's session cookie.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wso2IsStrategy, type Wso2IsOptions, type Wso2IsProfile, type Wso2IsTokens } from '../lib/index.js';
import type { IdentityServer } from '../identity-server/index.js';
import { AUDIENCES, CALLBACK, newBrowser, startFixture } from './identity-server/fixture.js';
import { AppClient, startApp, type TestApp } from './support/app.js';
import type { BrowserPage, TestBrowser } from './support/browser.js';
import { selfSignedCertificate } from './support/certificate.js';

describe('integration: Wso2IsStrategy against the local identity server', () => {
  let is: IdentityServer;
  const profiles: Wso2IsProfile[] = [];
  /** The verified ID token claims the verify callback received. */
  const verifiedClaims: Wso2IsTokens['claims'][] = [];

  before(async () => {
    is = await startFixture();
  });

  after(async () => {
    await is.stop();
  });

  async function withApp(options: Partial<Wso2IsOptions>, run: (ctx: { app: TestApp; client: AppClient; browser: TestBrowser; strategy: Wso2IsStrategy }) => Promise<void>) {
    const strategy = new Wso2IsStrategy(
      { serverOrigin: is.origin, callbackURL: CALLBACK, certificatePath: is.caPath, clientId: 'super-app', clientSecret: 'super-secret', ...options } as Wso2IsOptions,
      (tokens, profile, done) => {
        profiles.push(profile);
        verifiedClaims.push(tokens.claims);
        done(null, { id: profile.id, username: profile.username ?? null });
      },
    );
    const app = await startApp([strategy]);
    try {
      await run({ app, client: new AppClient(app.url), browser: newBrowser(is), strategy });
    } finally {
      await app.close();
      await strategy.close();
    }
  }

  /** From the app's /cb route to IS's login page. */
  async function startLogin(client: AppClient, browser: TestBrowser, path = '/cb/wso2is'): Promise<BrowserPage> {
    const res = await client.get(path);
    assert.equal(res.status, 302, res.body);
    const page = await browser.get(res.location!);
    assert.match(page.url, /\/authenticationendpoint\/login\.do/);
    return page;
  }

  /** Delivers the callback the browser stopped at to the test app. */
  async function deliver(client: AppClient, browser: TestBrowser, path = '/cb/wso2is') {
    assert.ok(browser.location.startsWith(CALLBACK), browser.location);
    const res = await client.get(`${path}${new URL(browser.location).search}`);
    return res.json<{ outcome?: string; user?: { id: string }; info?: Record<string, string>; code?: string; message?: string }>();
  }

  async function fullLogin(client: AppClient, browser: TestBrowser, username: string, password: string) {
    let page = await startLogin(client, browser);
    page = await browser.login(page, username, password);
    if (page.url.includes('consent')) page = await browser.consent(page, 'approve');
    return deliver(client, browser);
  }

  it('logs in a super tenant user with a verified ID token and builds the profile from what IS released', async () => {
    await withApp({}, async ({ client, browser }) => {
      const result = await fullLogin(client, browser, 'admin', 'admin');
      assert.equal(result.outcome, 'success', JSON.stringify(result));
      const profile = profiles.at(-1)!;
      assert.equal(profile.username, 'admin');
      assert.equal(profile.tenant, 'carbon.super');
      assert.equal(profile.id, is.user('admin')!.sub);
      assert.deepEqual(profile.authMethods, ['BasicAuthenticator']);
      assert.ok(profile.sessionId);
    });
  });

  it('logs in a tenant user at the tenant endpoints, with groups and roles as arrays whatever shape IS sent', async () => {
    await withApp({ tenant: 'acme.com', clientId: 'acme-app', clientSecret: 'acme-secret' }, async ({ client, browser }) => {
      const res = await client.get('/cb/wso2is');
      assert.ok(res.location!.startsWith(`${is.origin}/t/acme.com/oauth2/authorize?`));
      let page = await browser.get(res.location!);
      page = await browser.login(page, 'alice', 'alice-pw');
      if (page.url.includes('consent')) page = await browser.consent(page, 'approve');
      const result = await deliver(client, browser);
      assert.equal(result.outcome, 'success', JSON.stringify(result));
      const profile = profiles.at(-1)!;
      assert.equal(profile.tenant, 'acme.com');
      assert.deepEqual(profile.groups, ['staff']);
      assert.deepEqual(profile.roles, ['Internal/everyone', 'editor']);
      assert.equal(profile.emails?.[0]?.value, 'alice@acme.com');
      assert.equal(profile.name?.givenName, 'Alice');
    });
  });

  it('logs in with an application whose ID tokens have extra audiences (aud an array, azp the client id)', async () => {
    await withApp({ clientId: 'audience-app', clientSecret: 'audience-secret' }, async ({ client, browser }) => {
      const result = await fullLogin(client, browser, 'admin', 'admin');
      assert.equal(result.outcome, 'success', JSON.stringify(result));
      assert.equal(result.user?.id, is.user('admin')!.sub);
      const claims = verifiedClaims.at(-1)!;
      assert.deepEqual(claims.aud, ['audience-app', ...AUDIENCES]);
      assert.equal(claims.azp, 'audience-app');
    });
  });

  it('refuses an IS 5.x legacy tenant\'s super tenant issuer unless legacyTenantIssuer is set, then logs in', async () => {
    await withApp({ tenant: 'legacy.com', clientId: 'legacy-app', clientSecret: 'legacy-secret' }, async ({ client }) => {
      const res = await client.get('/cb/wso2is');
      const body = res.json<{ code: string; message: string }>();
      assert.equal(body.code, 'ISSUER_MISMATCH');
      assert.match(body.message, /legacyTenantIssuer/);
    });
    await withApp({ tenant: 'legacy.com', clientId: 'legacy-app', clientSecret: 'legacy-secret', legacyTenantIssuer: true }, async ({ client, browser }) => {
      const result = await fullLogin(client, browser, 'bob', 'bob-pw');
      assert.equal(result.outcome, 'success', JSON.stringify(result));
      const profile = profiles.at(-1)!;
      assert.equal(profile.id, 'bob@legacy.com');
      assert.equal(profile.tenant, 'legacy.com');
      assert.deepEqual(profile.groups, ['ops', 'dev']);
    });
  });

  it('denied consent ends in fail() with access_denied', async () => {
    await withApp({}, async ({ client, browser }) => {
      let page = await startLogin(client, browser);
      page = await browser.login(page, 'admin', 'admin');
      assert.match(page.url, /consent/);
      await browser.consent(page, 'deny');
      const result = await deliver(client, browser);
      assert.equal(result.outcome, 'fail');
      assert.equal(result.info!['error'], 'access_denied');
    });
  });

  it('a cancelled login ends in fail() with IS\'s login_required "Authentication required" and a hint', async () => {
    await withApp({}, async ({ client, browser }) => {
      const page = await startLogin(client, browser);
      await browser.cancelLogin(page);
      const result = await deliver(client, browser);
      assert.equal(result.outcome, 'fail');
      assert.equal(result.info!['error'], 'login_required');
      assert.equal(result.info!['error_description'], 'Authentication required');
      assert.match(result.info!['message']!, /cancels the login/);
    });
  });

  it('works with an application where IS makes PKCE mandatory, and with client_secret_post', async () => {
    await withApp({ clientId: 'pkce-app', clientSecret: 'pkce-secret', tokenEndpointAuthMethod: 'client_secret_post' }, async ({ client, browser }) => {
      const result = await fullLogin(client, browser, 'admin', 'admin');
      assert.equal(result.outcome, 'success', JSON.stringify(result));
    });
  });

  it('a wrong client secret is an error naming the options, not a failure', async () => {
    await withApp({ clientSecret: 'not-the-secret' }, async ({ client, browser }) => {
      const result = await fullLogin(client, browser, 'admin', 'admin');
      assert.equal(result.code, 'TOKEN_REQUEST_FAILED', result.message);
      assert.match(result.message!, /invalid_client/);
      assert.doesNotMatch(JSON.stringify(result), /not-the-secret/);
    });
  });

  it('a certificatePath that is not IS\'s CA ends in the TLS error that names the option', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wso2is-wrong-ca-'));
    try {
      const wrong = join(dir, 'wrong.crt');
      writeFileSync(wrong, (await selfSignedCertificate('localhost')).certPem);
      await withApp({ certificatePath: wrong }, async ({ client }) => {
        const body = (await client.get('/cb/wso2is')).json<{ code: string; message: string }>();
        assert.equal(body.code, 'TLS_FAILED');
        assert.ok(body.message.includes(wrong));
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
