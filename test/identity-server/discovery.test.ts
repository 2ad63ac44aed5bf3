import { strict as assert } from 'node:assert';
import * as client from 'openid-client';
import type { Agent } from 'undici';
import type { IdentityServer } from '../../identity-server/index.js';
import { dispatcherFor, discover, login, newBrowser, startFixture } from './fixture.js';

describe('identity server: discovery, tenants and keys', () => {
  let is: IdentityServer;
  let dispatcher: Agent;

  before(async () => {
    is = await startFixture();
    dispatcher = dispatcherFor(is);
  });
  after(async () => {
    await is?.stop();
    await dispatcher?.close();
  });

  const getJson = async (url: string) => {
    const res = await fetch(url, { dispatcher } as RequestInit);
    return { status: res.status, body: res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined };
  };

  it('serves HTTPS on localhost with a certificate issued by the CA it writes to caPath', async () => {
    assert.match(is.origin, /^https:\/\/localhost:\d+$/);
    const { readFile } = await import('node:fs/promises');
    assert.equal(await readFile(is.caPath, 'utf8'), is.caPem);
    // without the CA the TLS handshake fails: trust is really checked
    await assert.rejects(fetch(is.discoveryUrl()), /fetch failed/);
  });

  it('super tenant: issuer is the un-prefixed token endpoint, documents at both IS discovery paths', async () => {
    for (const path of ['/oauth2/token/.well-known/openid-configuration', '/oauth2/oidcdiscovery/.well-known/openid-configuration']) {
      const { status, body } = await getJson(`${is.origin}${path}`);
      assert.equal(status, 200, path);
      assert.equal(body?.issuer, `${is.origin}/oauth2/token`);
      assert.equal(body?.authorization_endpoint, `${is.origin}/oauth2/authorize`);
      assert.equal(body?.token_endpoint, `${is.origin}/oauth2/token`);
      assert.equal(body?.userinfo_endpoint, `${is.origin}/oauth2/userinfo`);
      assert.equal(body?.jwks_uri, `${is.origin}/oauth2/jwks`);
      assert.equal(body?.revocation_endpoint, `${is.origin}/oauth2/revoke`);
      assert.equal(body?.introspection_endpoint, `${is.origin}/oauth2/introspect`);
      assert.equal(body?.end_session_endpoint, `${is.origin}/oidc/logout`);
      assert.equal(body?.backchannel_logout_supported, true);
      assert.equal(body?.backchannel_logout_session_supported, true);
      assert.equal(body?.frontchannel_logout_supported, true);
      assert.equal(body?.frontchannel_logout_session_supported, true);
      assert.deepEqual(body?.id_token_signing_alg_values_supported, ['RS256']);
    }
  });

  it('nothing is served at the root /.well-known (as on released IS versions)', async () => {
    assert.equal((await getJson(`${is.origin}/.well-known/openid-configuration`)).status, 404);
    assert.equal((await getJson(`${is.origin}/t/acme.com/.well-known/openid-configuration`)).status, 404);
  });

  it('tenant: every endpoint and the issuer under /t/{tenant}', async () => {
    const { body } = await getJson(`${is.origin}/t/acme.com/oauth2/oidcdiscovery/.well-known/openid-configuration`);
    const base = `${is.origin}/t/acme.com`;
    assert.equal(body?.issuer, `${base}/oauth2/token`);
    assert.equal(is.issuer('acme.com'), `${base}/oauth2/token`);
    for (const [key, path] of [
      ['authorization_endpoint', '/oauth2/authorize'], ['token_endpoint', '/oauth2/token'],
      ['userinfo_endpoint', '/oauth2/userinfo'], ['jwks_uri', '/oauth2/jwks'], ['end_session_endpoint', '/oidc/logout'],
      ['revocation_endpoint', '/oauth2/revoke'], ['introspection_endpoint', '/oauth2/introspect'],
    ] as const) assert.equal(body?.[key], `${base}${path}`, key);
  });

  it('an unknown tenant path is a 404, not the super tenant', async () => {
    assert.equal((await getJson(`${is.origin}/t/nowhere.com/oauth2/token/.well-known/openid-configuration`)).status, 404);
  });

  it('legacy tenant: super tenant issuer and un-prefixed authorize/token/logout, tenant JWKS and introspection', async () => {
    const { body } = await getJson(is.discoveryUrl('legacy.com'));
    assert.equal(body?.issuer, `${is.origin}/oauth2/token`);
    assert.equal(body?.authorization_endpoint, `${is.origin}/oauth2/authorize`);
    assert.equal(body?.token_endpoint, `${is.origin}/oauth2/token`);
    assert.equal(body?.end_session_endpoint, `${is.origin}/oidc/logout`);
    assert.equal(body?.jwks_uri, `${is.origin}/t/legacy.com/oauth2/jwks`);
    assert.equal(body?.introspection_endpoint, `${is.origin}/t/legacy.com/oauth2/introspect`);
  });

  it('each tenant has its own RS256 key with an IS-style kid (<base64url thumbprint>_RS256), x5c and use sig', async () => {
    const kids = new Set<string>();
    for (const tenant of [undefined, 'acme.com', 'legacy.com']) {
      const base = is.baseUrl(tenant);
      const { body } = await getJson(`${base}/oauth2/jwks`);
      const keys = body?.keys as Record<string, unknown>[];
      assert.equal(keys.length, 1);
      const [key] = keys;
      assert.match(String(key?.kid), /^[A-Za-z0-9_-]+_RS256$/);
      assert.equal(key?.use, 'sig');
      assert.equal(key?.alg, 'RS256');
      assert.ok(Array.isArray(key?.x5c) && (key?.x5c as string[]).length === 1);
      assert.equal(key?.d, undefined, 'no private parts published');
      kids.add(String(key?.kid));
    }
    assert.equal(kids.size, 3, 'three different keys');
  });

  it('legacy tenant tokens carry the super tenant issuer and are signed with the tenant key', async () => {
    const config = await discover(is, dispatcher, 'legacy-app', 'legacy-secret', 'legacy.com', { legacyIssuer: true });
    const browser = newBrowser(is);
    const tokens = await login(config, browser, 'bob@legacy.com', 'bob-pw');
    const claims = tokens.claims()!;
    assert.equal(claims.iss, `${is.origin}/oauth2/token`);
    assert.equal(claims.sub, 'bob@legacy.com', 'IS 5.x style subject: tenant-qualified username');
    assert.deepEqual(claims.realm, { tenant: 'legacy.com', userstore: 'PRIMARY' });
    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()) as { kid: string };
    assert.equal(header.kid, is.publicKeys('legacy.com')[0]?.kid);
    assert.notEqual(header.kid, is.publicKeys()[0]?.kid);
    // every request went to un-prefixed authorize/token endpoints, and the browser never saw /t/legacy.com
    assert.ok(browser.history.every((h) => !h.url.includes('/t/legacy.com')));
    await browser.close();
  });

  it('rotateKeys publishes a new key, signs with it, and keeps the old one in the JWKS', async () => {
    const config = await discover(is, dispatcher, 'acme-app', 'acme-secret', 'acme.com');
    const before = is.publicKeys('acme.com')[0]!.kid;
    const browser = newBrowser(is);
    await login(config, browser, 'alice', 'alice-pw');
    const kid = await is.rotateKeys('acme.com');
    assert.notEqual(kid, before);
    const { body } = await getJson(`${is.baseUrl('acme.com')}/oauth2/jwks`);
    assert.deepEqual((body?.keys as { kid: string }[]).map((k) => k.kid), [kid, before]);
    // the browser session survives the rotation; the new ID token is signed with the new key
    const tokens = await login(config, browser, 'alice', 'alice-pw');
    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()) as { kid: string };
    assert.equal(header.kid, kid);
    assert.equal(browser.history.filter((h) => h.url.includes('login.do')).length, 2, 'second login used the SSO session');
    await browser.close();
  });

  it('openid-client discovers a tenant with the issuer check on', async () => {
    const config = await discover(is, dispatcher, 'acme-app', 'acme-secret', 'acme.com');
    assert.equal(config.serverMetadata().issuer, is.issuer('acme.com'));
    assert.ok(client.ClientSecretPost);
  });
});
