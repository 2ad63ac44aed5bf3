import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import * as client from 'openid-client';
import type { Agent } from 'undici';
import type { IdentityServer } from '../../identity-server/index.js';
import { startIdentityServer } from '../../identity-server/index.js';
import { CALLBACK, LOGOUT_CALLBACK, authorize, dispatcherFor, discover, fixtureOptions, login, newBrowser } from './fixture.js';

/** A tiny local HTTP app receiving back-channel POSTs and front-channel iframe loads. */
class Receiver {
  readonly backchannel: { contentType: string | undefined; body: URLSearchParams }[] = [];
  readonly frontchannel: URL[] = [];
  private server!: Server;
  origin = '';

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', this.origin);
        if (req.method === 'POST' && url.pathname.startsWith('/backchannel')) {
          this.backchannel.push({ contentType: req.headers['content-type'], body: new URLSearchParams(Buffer.concat(chunks).toString()) });
        } else if (url.pathname.startsWith('/frontchannel')) {
          this.frontchannel.push(url);
        }
        res.end('ok');
      });
    });
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((done) => this.server.close(done));
  }
}

describe('identity server: logout', () => {
  let is: IdentityServer;
  let askingIs: IdentityServer;
  let dispatcher: Agent;
  let askingDispatcher: Agent;
  const receiver = new Receiver();
  let config: client.Configuration;
  let acmeConfig: client.Configuration;

  before(async () => {
    await receiver.start();
    const options = fixtureOptions();
    options.applications = [
      ...options.applications!,
      { clientId: 'bc-app', clientSecret: 'bc-secret', redirectUris: [CALLBACK, LOGOUT_CALLBACK], skipConsent: true,
        backchannelLogoutUri: `${receiver.origin}/backchannel/bc-app`, frontchannelLogoutUri: `${receiver.origin}/frontchannel/bc-app` },
      { clientId: 'bc-acme', clientSecret: 'bc-secret', tenant: 'acme.com', redirectUris: [CALLBACK, LOGOUT_CALLBACK], skipConsent: true,
        backchannelLogoutUri: `${receiver.origin}/backchannel/bc-acme` },
    ];
    is = await startIdentityServer(options);
    askingIs = await startIdentityServer({ ...fixtureOptions(), logoutConsent: true });
    dispatcher = dispatcherFor(is);
    askingDispatcher = dispatcherFor(askingIs);
    config = await discover(is, dispatcher, 'bc-app', 'bc-secret');
    acmeConfig = await discover(is, dispatcher, 'bc-acme', 'bc-secret', 'acme.com');
  });
  after(async () => {
    await is?.stop();
    await askingIs?.stop();
    await dispatcher?.close();
    await askingDispatcher?.close();
    await receiver.stop();
  });
  beforeEach(() => {
    receiver.backchannel.length = 0;
    receiver.frontchannel.length = 0;
  });

  it('RP-initiated logout with id_token_hint redirects to post_logout_redirect_uri with the state and ends the IS session', async () => {
    const browser = newBrowser(is);
    const tokens = await login(config, browser, 'admin', 'admin');
    const url = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: LOGOUT_CALLBACK, state: 'st-123' });
    assert.equal(url.origin + url.pathname, `${is.origin}/oidc/logout`);
    const end = await browser.get(url);
    assert.ok(end.stopped);
    const back = new URL(browser.location);
    assert.equal(back.origin + back.pathname, LOGOUT_CALLBACK);
    assert.equal(back.searchParams.get('state'), 'st-123');
    // the session is gone: the next authorization asks for the password again
    const { page } = await authorize(config, browser);
    assert.match(page.url, /login\.do/);
  });

  it('logout with client_id instead of id_token_hint works too', async () => {
    const browser = newBrowser(is);
    await login(config, browser, 'admin', 'admin');
    await browser.get(client.buildEndSessionUrl(config, { client_id: 'bc-app', post_logout_redirect_uri: LOGOUT_CALLBACK }));
    assert.equal(browser.location, LOGOUT_CALLBACK, 'no state sent, none added');
  });

  it('a post_logout_redirect_uri that is not a registered callback ends on IS\'s error page', async () => {
    const browser = newBrowser(is);
    const tokens = await login(config, browser, 'admin', 'admin');
    const page = await browser.get(client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://evil.example/logout' }));
    assert.equal(page.stopped, false);
    const end = new URL(page.url);
    assert.equal(end.pathname, '/authenticationendpoint/oauth2_error.do');
    assert.equal(end.searchParams.get('oauthErrorMsg'), 'Post logout URI does not match with registered callback URI.');
  });

  it('sends a back-channel logout token (form-urlencoded, IS claims, no nonce, tenant key) to each app of the session', async () => {
    const browser = newBrowser(is);
    const tokens = await login(config, browser, 'admin', 'admin');
    await browser.get(client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: LOGOUT_CALLBACK }));
    assert.equal(receiver.backchannel.length, 1);
    const [delivery] = receiver.backchannel;
    assert.equal(delivery?.contentType, 'application/x-www-form-urlencoded');
    const logoutToken = delivery!.body.get('logout_token')!;
    const keys = is.publicKeys();
    assert.equal(decodeProtectedHeader(logoutToken).kid, keys[0]?.kid);
    const key = await importJWK({ kty: 'RSA', n: keys[0]!.n, e: keys[0]!.e }, 'RS256');
    const { payload } = await jwtVerify(logoutToken, key, { issuer: is.issuer(), audience: 'bc-app' });
    assert.equal(payload.sub, tokens.claims()!.sub);
    assert.equal(payload.sid, tokens.claims()!.sid);
    assert.deepEqual(payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
    assert.equal(typeof payload.jti, 'string');
    assert.equal(typeof payload.iat, 'number');
    assert.ok(typeof payload.exp === 'number' && payload.exp - payload.iat! <= 300, 'short lived');
    assert.equal(payload.nonce, undefined);
  });

  it('tenant logout: the back-channel token carries the tenant issuer and is signed with the tenant key', async () => {
    const browser = newBrowser(is);
    const tokens = await login(acmeConfig, browser, 'alice', 'alice-pw');
    await browser.get(client.buildEndSessionUrl(acmeConfig, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: LOGOUT_CALLBACK }));
    assert.equal(receiver.backchannel.length, 1);
    const logoutToken = receiver.backchannel[0]!.body.get('logout_token')!;
    const key = is.publicKeys('acme.com')[0]!;
    assert.equal(decodeProtectedHeader(logoutToken).kid, key.kid);
    const { payload } = await jwtVerify(logoutToken, await importJWK({ kty: 'RSA', n: key.n, e: key.e }, 'RS256'), { issuer: is.issuer('acme.com') });
    assert.equal(payload.aud, 'bc-acme');
  });

  it('loads the front-channel logout iframe with sid and iss before returning to the app', async () => {
    const browser = newBrowser(is);
    const tokens = await login(config, browser, 'admin', 'admin');
    await browser.get(client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: LOGOUT_CALLBACK, state: 's' }));
    assert.equal(receiver.frontchannel.length, 1);
    assert.equal(receiver.frontchannel[0]?.searchParams.get('sid'), tokens.claims()!.sid);
    assert.equal(receiver.frontchannel[0]?.searchParams.get('iss'), is.issuer());
    assert.equal(new URL(browser.location).searchParams.get('state'), 's');
  });

  it('logout consent page: "No" returns error=access_denied with the state and keeps the session; "Yes" logs out', async () => {
    const askingConfig = await discover(askingIs, askingDispatcher, 'super-app', 'super-secret');
    const browser = newBrowser(askingIs);
    const tokens = await login(askingConfig, browser, 'admin', 'admin');
    const url = client.buildEndSessionUrl(askingConfig, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: LOGOUT_CALLBACK, state: 'keep' });
    const question = await browser.get(url);
    assert.match(question.body, /Do you want to logout\?/);
    await browser.confirmLogout(question, 'no');
    const denied = new URL(browser.location);
    assert.equal(denied.origin + denied.pathname, LOGOUT_CALLBACK);
    assert.equal(denied.searchParams.get('error'), 'access_denied');
    assert.equal(denied.searchParams.get('state'), 'keep');

    const again = await browser.get(url);
    await browser.confirmLogout(again, 'yes');
    const done = new URL(browser.location);
    assert.equal(done.searchParams.get('error'), null);
    assert.equal(done.searchParams.get('state'), 'keep');
  });

  it('legacy tenant logout at the un-prefixed /oidc/logout ends the legacy tenant session', async () => {
    const legacyConfig = await discover(is, dispatcher, 'legacy-app', 'legacy-secret', 'legacy.com', { legacyIssuer: true });
    const browser = newBrowser(is);
    const tokens = await login(legacyConfig, browser, 'bob', 'bob-pw');
    const url = client.buildEndSessionUrl(legacyConfig, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: LOGOUT_CALLBACK, state: 'l' });
    assert.equal(url.origin + url.pathname, `${is.origin}/oidc/logout`);
    await browser.get(url);
    assert.equal(new URL(browser.location).searchParams.get('state'), 'l');
    const { page } = await authorize(legacyConfig, browser);
    assert.match(page.url, /login\.do/, 'the legacy tenant session ended');
  });
});
