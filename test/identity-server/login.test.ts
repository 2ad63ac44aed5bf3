import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import type { Agent } from 'undici';
import type { IdentityServer } from '../../identity-server/index.js';
import { AUDIENCES, CALLBACK, authorize, dispatcherFor, discover, login, newBrowser, startFixture } from './fixture.js';

describe('identity server: login and consent', () => {
  let is: IdentityServer;
  let dispatcher: Agent;
  let superConfig: client.Configuration;
  let acmeConfig: client.Configuration;

  before(async () => {
    is = await startFixture();
    dispatcher = dispatcherFor(is);
    superConfig = await discover(is, dispatcher, 'super-app', 'super-secret');
    acmeConfig = await discover(is, dispatcher, 'acme-app', 'acme-secret', 'acme.com');
  });
  after(async () => {
    await is?.stop();
    await dispatcher?.close();
  });

  it('full login as admin/admin: ID token with IS claims (azp, amr, sid, isk, realm, at_hash, c_hash, nonce)', async () => {
    const browser = newBrowser(is);
    const tokens = await login(superConfig, browser, 'admin', 'admin', { max_age: '3600' });
    const claims = tokens.claims()!;
    assert.equal(claims.iss, `${is.origin}/oauth2/token`);
    assert.equal(claims.sub, is.user('admin')?.id, 'IS 7 default: the user id (UUID)');
    assert.match(String(claims.sub), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(claims.aud, 'super-app');
    assert.equal(claims.azp, 'super-app');
    assert.deepEqual(claims.amr, ['BasicAuthenticator']);
    assert.match(String(claims.sid), /^[0-9a-f-]{36}$/);
    assert.match(String(claims.isk), /^[0-9a-f]{64}$/);
    assert.deepEqual(claims.realm, { tenant: 'carbon.super', userstore: 'PRIMARY' });
    assert.equal(typeof claims.auth_time, 'number', 'auth_time when max_age asks for it');
    assert.equal(typeof claims.nbf, 'number');
    assert.equal(typeof claims.jti, 'string');
    const half = (v: string) => createHash('sha256').update(v).digest().subarray(0, 16).toString('base64url');
    assert.equal(claims.at_hash, half(tokens.access_token));
    assert.equal(typeof claims.c_hash, 'string');
    // user claims released by the profile and email scopes; one group is a string, several roles an array
    assert.equal(claims.email, 'admin@wso2.com');
    assert.equal(claims.given_name, 'Admin');
    assert.equal(claims.username, 'admin');
    assert.equal(claims.groups, 'admin');
    assert.deepEqual(claims.roles, ['admin', 'Internal/everyone']);
    assert.equal(claims.phone_number, undefined, 'phone scope not requested');
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.expires_in, 3600);
    assert.ok(tokens.refresh_token, 'refresh grant enabled by default');
    await browser.close();
  });

  it('the same sid is shared by every application of one IS browser session', async () => {
    const browser = newBrowser(is);
    const first = await login(superConfig, browser, 'admin', 'admin');
    const pkce = await discover(is, dispatcher, 'renew-app', 'renew-secret');
    const second = await login(pkce, browser, 'unused', 'unused');
    assert.equal(second.claims()?.sid, first.claims()?.sid);
    assert.equal(second.claims()?.isk, first.claims()?.isk);
    await browser.close();
  });

  it('tenant login with a tenant-qualified username; only requested scopes are released', async () => {
    const browser = newBrowser(is);
    const tokens = await login(acmeConfig, browser, 'alice@acme.com', 'alice-pw', { scope: 'openid phone' });
    const claims = tokens.claims()!;
    assert.equal(claims.iss, is.issuer('acme.com'));
    assert.equal(claims.sub, is.user('alice', 'acme.com')?.id);
    assert.deepEqual(claims.realm, { tenant: 'acme.com', userstore: 'PRIMARY' });
    assert.equal(claims.phone_number, '+15550100');
    assert.equal(claims.email, undefined, 'email scope not requested');
    assert.equal(claims.groups, undefined, 'profile scope not requested');
    const userinfo = await client.fetchUserInfo(acmeConfig, tokens.access_token, String(claims.sub));
    assert.equal(userinfo.phone_number, '+15550100');
    assert.equal((userinfo as Record<string, unknown>).isk, undefined, 'isk/azp/realm only in the ID token');
    await browser.close();
  });

  it('the login page has the stable selectors and a wrong password shows IS\'s error and keeps the user there', async () => {
    const browser = newBrowser(is);
    const { page } = await authorize(superConfig, browser);
    assert.match(page.url, /\/authenticationendpoint\/login\.do\?sessionDataKey=/);
    for (const selector of ['id="loginForm"', 'id="usernameUserInput"', 'name="username"', 'id="password"', '>Sign In<', '>Cancel<']) {
      assert.ok(page.body.includes(selector), selector);
    }
    const again = await browser.login(page, 'admin', 'wrong');
    assert.match(again.url, /authFailure=true/);
    assert.match(again.body, /id="error-msg"[^>]*>Login failed! Please recheck the username and password/);
    const ok = await browser.login(again, 'admin', 'admin');
    assert.match(ok.url, /oauth2_consent\.do/, 'a correct password after a wrong one goes on');
    await browser.close();
  });

  it('a user of another tenant cannot sign in to this tenant', async () => {
    const browser = newBrowser(is);
    const { page } = await authorize(superConfig, browser);
    const again = await browser.login(page, 'alice@acme.com', 'alice-pw');
    assert.match(again.body, /Login failed!/);
    await browser.close();
  });

  it('Cancel on the login page returns login_required "Authentication required" with the state', async () => {
    const browser = newBrowser(is);
    const { page, state } = await authorize(superConfig, browser);
    const end = await browser.cancelLogin(page);
    assert.ok(end.stopped);
    const params = new URL(browser.location).searchParams;
    assert.equal(browser.location.split('?')[0], CALLBACK);
    assert.equal(params.get('error'), 'login_required');
    assert.equal(params.get('error_description'), 'Authentication required');
    assert.equal(params.get('state'), state);
    await browser.close();
  });

  it('Deny on the consent page returns access_denied to the application', async () => {
    const browser = newBrowser(is);
    const { page, state } = await authorize(acmeConfig, browser);
    const consent = await browser.login(page, 'alice', 'alice-pw');
    assert.match(consent.url, /\/authenticationendpoint\/oauth2_consent\.do/);
    assert.match(consent.body, />Allow</);
    assert.match(consent.body, />Deny</);
    await browser.consent(consent, 'deny');
    const params = new URL(browser.location).searchParams;
    assert.equal(params.get('error'), 'access_denied');
    assert.equal(params.get('state'), state);
    await browser.close();
  });

  /** The `sessionDataKey` of an IS page's URL. */
  const keyOf = (url: string) => new URL(url).searchParams.get('sessionDataKey');
  /** Exchanges the code the browser stopped at, with the verifier and nonce of that request. */
  const redeem = (browser: ReturnType<typeof newBrowser>, request: { verifier: string; state: string; nonce: string }) =>
    client.authorizationCodeGrant(superConfig, new URL(browser.location), {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
      idTokenExpected: true,
    });

  it('two logins pending in one browser (two tabs on the login page) both complete, the older one signed in first', async () => {
    const browser = newBrowser(is);
    const older = await authorize(superConfig, browser);
    const newer = await authorize(superConfig, browser);
    assert.match(older.page.url, /\/authenticationendpoint\/login\.do\?sessionDataKey=/);
    assert.match(newer.page.url, /\/authenticationendpoint\/login\.do\?sessionDataKey=/);
    assert.notEqual(keyOf(older.page.url), keyOf(newer.page.url), 'each login page has its own sessionDataKey');

    // The older tab first: sign in, consent, back at the application with its own state.
    const consent = await browser.login(older.page, 'admin', 'admin');
    assert.match(consent.url, /oauth2_consent\.do/, `${consent.status} ${consent.body.slice(0, 300)}`);
    const first = await browser.consent(consent, 'approve');
    assert.ok(first.stopped && browser.location.startsWith(CALLBACK), browser.location);
    assert.equal(new URL(browser.location).searchParams.get('state'), older.state);
    const firstTokens = await redeem(browser, older);

    // Then the newer tab, still on its login page: signing in there completes it too (consent was given).
    const second = await browser.login(newer.page, 'admin', 'admin');
    assert.ok(second.stopped && browser.location.startsWith(CALLBACK), `${second.url} ${second.status} ${second.body.slice(0, 300)}`);
    assert.equal(new URL(browser.location).searchParams.get('state'), newer.state);
    const secondTokens = await redeem(browser, newer);

    assert.equal(secondTokens.claims()?.sub, firstTokens.claims()?.sub);
    assert.equal(secondTokens.claims()?.sid, firstTokens.claims()?.sid, 'one IS session in the browser');
    await browser.close();
  });

  it('a sessionDataKey used in another browser does not complete the login, which stays pending for its own browser', async () => {
    const owner = newBrowser(is);
    const other = newBrowser(is);
    const request = await authorize(superConfig, owner);
    // The other browser has a pending login of its own: having one is not enough to use someone else's key.
    const own = await authorize(superConfig, other);
    assert.match(own.page.body, /id="loginForm"/);

    const seen = await other.get(request.page.url);
    assert.equal(seen.status, 400);
    assert.match(seen.body, /The login session has expired or is invalid/);
    assert.doesNotMatch(seen.body, /id="loginForm"/, 'no login form for another browser\'s key');

    // Submitting the owner's page (its sessionDataKey) from the other browser: neither sign-in nor cancel works.
    const signIn = await other.login(request.page, 'admin', 'admin');
    assert.equal(signIn.stopped, false, `reached ${other.location}`);
    assert.equal(signIn.status, 400);
    assert.match(signIn.body, /The login session has expired or is invalid/);
    const cancel = await other.cancelLogin(request.page);
    assert.equal(cancel.stopped, false, `reached ${other.location}`);
    assert.match(cancel.body, /The login session has expired or is invalid/);

    // The owner's login was not touched: it completes with its state.
    const end = await owner.consent(await owner.login(request.page, 'admin', 'admin'), 'approve');
    assert.ok(end.stopped, `${end.url} ${end.status}`);
    assert.equal(new URL(owner.location).searchParams.get('state'), request.state);
    assert.ok((await redeem(owner, request)).id_token);
    await owner.close();
    await other.close();
  });

  it('an application with extra audiences gets ID tokens with aud [client id, ...audiences] and azp the client id, refreshed ones too', async () => {
    const config = await discover(is, dispatcher, 'audience-app', 'audience-secret');
    const browser = newBrowser(is);
    const tokens = await login(config, browser, 'admin', 'admin');
    const claims = tokens.claims()!;
    assert.deepEqual(claims.aud, ['audience-app', ...AUDIENCES]);
    assert.equal(claims.azp, 'audience-app');
    assert.ok(tokens.refresh_token);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    assert.deepEqual(refreshed.claims()?.aud, ['audience-app', ...AUDIENCES]);
    assert.equal(refreshed.claims()?.azp, 'audience-app');
    await browser.close();
  });

  it('an unknown client ends on IS\'s error page (invalid_client / application.not.found), never at the app', async () => {
    const browser = newBrowser(is);
    const url = new URL(`${is.origin}/oauth2/authorize`);
    url.search = new URLSearchParams({ client_id: 'nobody', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid' }).toString();
    const page = await browser.get(url);
    assert.equal(page.stopped, false);
    const end = new URL(page.url);
    assert.equal(end.pathname, '/authenticationendpoint/oauth2_error.do');
    assert.equal(end.searchParams.get('oauthErrorCode'), 'invalid_client');
    assert.equal(end.searchParams.get('oauthErrorMsg'), 'application.not.found');
    await browser.close();
  });

  it('a redirect_uri that does not match ends on IS\'s error page (invalid_callback / callback.not.match)', async () => {
    const browser = newBrowser(is);
    const { page } = await authorize(superConfig, browser, { redirect_uri: `${CALLBACK}/other` });
    const end = new URL(page.url);
    assert.equal(end.pathname, '/authenticationendpoint/oauth2_error.do');
    assert.equal(end.searchParams.get('oauthErrorCode'), 'invalid_callback');
    assert.equal(end.searchParams.get('oauthErrorMsg'), 'callback.not.match');
    assert.match(page.body, /callback\.not\.match/);
    await browser.close();
  });

  it('PKCE mandatory: a request without code_challenge gets invalid_request "PKCE is mandatory for this application"', async () => {
    const config = await discover(is, dispatcher, 'pkce-app', 'pkce-secret');
    const browser = newBrowser(is);
    const url = client.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: 'openid', state: 'xyz' });
    await browser.get(url);
    const params = new URL(browser.location).searchParams;
    assert.equal(params.get('error'), 'invalid_request');
    assert.equal(params.get('error_description'), 'PKCE is mandatory for this application');
    assert.equal(params.get('state'), 'xyz');
    // with S256 it works
    const tokens = await login(config, browser, 'admin', 'admin');
    assert.ok(tokens.id_token);
    await browser.close();
  });

  it('a wrong code_verifier at the token endpoint is invalid_grant "PKCE validation failed"', async () => {
    const browser = newBrowser(is);
    const { page, state } = await authorize(superConfig, browser, { scope: 'openid' });
    await browser.consent(await browser.login(page, 'admin', 'admin'), 'approve');
    await assert.rejects(
      client.authorizationCodeGrant(superConfig, new URL(browser.location), {
        pkceCodeVerifier: client.randomPKCECodeVerifier(),
        expectedState: state,
      }),
      (err: client.ResponseBodyError) => err.error === 'invalid_grant' && err.error_description === 'PKCE validation failed',
    );
    await browser.close();
  });
});
