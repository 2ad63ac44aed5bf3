import { strict as assert } from 'node:assert';
import * as client from 'openid-client';
import type { Agent } from 'undici';
import type { IdentityServer } from '../../identity-server/index.js';
import { CALLBACK, authorize, dispatcherFor, discover, login, newBrowser, startFixture } from './fixture.js';

describe('identity server: token, refresh, revoke, introspection', () => {
  let is: IdentityServer;
  let dispatcher: Agent;
  let superConfig: client.Configuration;

  before(async () => {
    is = await startFixture();
    dispatcher = dispatcherFor(is);
    superConfig = await discover(is, dispatcher, 'super-app', 'super-secret');
  });
  after(async () => {
    await is?.stop();
    await dispatcher?.close();
  });

  const post = async (path: string, form: Record<string, string>, headers: Record<string, string> = {}) => {
    const res = await fetch(`${is.origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
      dispatcher,
    } as RequestInit);
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

  /** Signs in and returns a fresh authorization code with its verifier. */
  const code = async () => {
    const browser = newBrowser(is);
    const { page, verifier } = await authorize(superConfig, browser, { scope: 'openid' });
    const consent = await browser.login(page, 'admin', 'admin');
    if (!consent.stopped) await browser.consent(consent, 'approve');
    await browser.close();
    return { code: new URL(browser.location).searchParams.get('code')!, verifier };
  };

  it('client_secret_post works as well as client_secret_basic', async () => {
    const config = await discover(is, dispatcher, 'super-app', 'super-secret', undefined, { auth: client.ClientSecretPost('super-secret') });
    const tokens = await login(config, newBrowser(is), 'admin', 'admin');
    assert.ok(tokens.access_token);
  });

  it('credentials in both the Basic header and the body: 400 invalid_request "Request body and headers contain authorization information"', async () => {
    const { code: c, verifier } = await code();
    const res = await post('/oauth2/token', {
      grant_type: 'authorization_code', code: c, redirect_uri: CALLBACK, code_verifier: verifier,
      client_id: 'super-app', client_secret: 'super-secret',
    }, basic('super-app', 'super-secret'));
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.text), { error: 'invalid_request', error_description: 'Request body and headers contain authorization information' });
  });

  it('a wrong secret is 401 invalid_client "Client Authentication failed."', async () => {
    const res = await post('/oauth2/token', { grant_type: 'authorization_code', code: 'x', redirect_uri: CALLBACK }, basic('super-app', 'nope'));
    assert.equal(res.status, 401);
    assert.deepEqual(JSON.parse(res.text), { error: 'invalid_client', error_description: 'Client Authentication failed.' });
  });

  it('Basic credentials are not URL-decoded (IS quirk): a form-encoded secret fails', async () => {
    const res = await post('/oauth2/token', { grant_type: 'refresh_token', refresh_token: 'x' }, basic('super-app', encodeURIComponent('super-secret').replace('-', '%2D')));
    assert.equal(res.status, 401);
  });

  it('redirect_uri at the token endpoint must equal the authorize one: invalid_grant "Callback url mismatch"', async () => {
    const { code: c, verifier } = await code();
    const res = await post('/oauth2/token', { grant_type: 'authorization_code', code: c, redirect_uri: `${CALLBACK}x`, code_verifier: verifier }, basic('super-app', 'super-secret'));
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.text), { error: 'invalid_grant', error_description: 'Callback url mismatch' });
  });

  it('a reused code is invalid_grant "Inactive authorization code received from token request"', async () => {
    const { code: c, verifier } = await code();
    const form = { grant_type: 'authorization_code', code: c, redirect_uri: CALLBACK, code_verifier: verifier };
    assert.equal((await post('/oauth2/token', form, basic('super-app', 'super-secret'))).status, 200);
    const again = await post('/oauth2/token', form, basic('super-app', 'super-secret'));
    assert.deepEqual(JSON.parse(again.text), { error: 'invalid_grant', error_description: 'Inactive authorization code received from token request' });
    const unknown = await post('/oauth2/token', { ...form, code: 'nonsense' }, basic('super-app', 'super-secret'));
    assert.deepEqual(JSON.parse(unknown.text), { error: 'invalid_grant', error_description: 'Invalid authorization code received from token request' });
  });

  it('refresh returns the SAME refresh token by default, with a new ID token carrying sid', async () => {
    const tokens = await login(superConfig, newBrowser(is), 'admin', 'admin');
    const refreshed = await client.refreshTokenGrant(superConfig, tokens.refresh_token!);
    assert.equal(refreshed.refresh_token, tokens.refresh_token);
    assert.notEqual(refreshed.access_token, tokens.access_token);
    assert.equal(refreshed.claims()?.sid, tokens.claims()?.sid);
    const again = await client.refreshTokenGrant(superConfig, tokens.refresh_token!);
    assert.ok(again.access_token, 'the same refresh token keeps working');
  });

  it('refresh returns a NEW refresh token when the application renews them', async () => {
    const config = await discover(is, dispatcher, 'renew-app', 'renew-secret');
    const tokens = await login(config, newBrowser(is), 'admin', 'admin');
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    assert.ok(refreshed.refresh_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  });

  it('revoke answers 200 with an EMPTY body and content-type application/json; the token is then inactive', async () => {
    const tokens = await login(superConfig, newBrowser(is), 'admin', 'admin');
    const active = await client.tokenIntrospection(superConfig, tokens.access_token);
    assert.equal(active.active, true);
    assert.equal(active.client_id, 'super-app');
    const res = await post('/oauth2/revoke', { token: tokens.access_token, token_type_hint: 'access_token' }, basic('super-app', 'super-secret'));
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    assert.match(String(res.type), /^application\/json/);
    const inactive = await client.tokenIntrospection(superConfig, tokens.access_token);
    assert.equal(inactive.active, false);
  });

  it('userinfo returns the released claims for the same sub as the ID token', async () => {
    const tokens = await login(superConfig, newBrowser(is), 'admin', 'admin');
    const sub = tokens.claims()!.sub;
    const info = await client.fetchUserInfo(superConfig, tokens.access_token, sub);
    assert.equal(info.sub, sub);
    assert.equal(info.email, 'admin@wso2.com');
  });
});
