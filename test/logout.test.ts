/**
 * RP-initiated logout against the local identity server: the local login ends, the IS session ends (the next
 * login asks for the password again), the return to the logout callback URL is checked (missing, foreign,
 * replayed state; logout consent denied), and the tokens can be revoked on the way out. Also front-channel logout,
 * and what still works (and how the rest fails) while IS is down.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt, generateKeyPair, importJWK, type JWK } from 'jose';
import { loadSigningKey } from '../identity-server/keys.js';
import { BACKCHANNEL_LOGOUT_EVENT, type Wso2IsError } from '../lib/index.js';
import { TEST_DATA_DIR } from './identity-server/fixture.js';
import { me, signIn, startWorld, type LiveApp, type Me, type World } from './support/live.js';

type SignInPage = { page: string; signedOut: string | null; messages: string[]; user: unknown };

describe('RP-initiated logout (against the local identity server)', () => {
  let world: World;

  before(async () => {
    world = await startWorld([{ clientId: 'logout-app' }]);
  });
  after(async () => {
    await world?.close();
  });

  it('ends the local login and the IS session: the next login asks for the password again', async () => {
    const app = world.apps[0]!;
    const browser = world.browser();
    const { me: before, askedPassword } = await signIn(browser, app);
    assert.ok(askedPassword);
    assert.ok(before.user, 'signed in');
    assert.ok(before.tokens?.idToken);

    const page = await browser.get(`${app.url}/logout`);
    const toIs = new URL(page.redirects[1]!);
    assert.equal(`${toIs.origin}${toIs.pathname}`, `${world.is.origin}/oidc/logout`, 'the browser is sent to the tenant end-session endpoint');
    assert.equal(toIs.searchParams.get('id_token_hint'), before.tokens.idToken, 'the ID token of the login, found by the strategy itself');
    assert.equal(toIs.searchParams.get('client_id'), app.clientId, 'client_id goes along (IS checks it against the hint)');
    assert.equal(toIs.searchParams.get('post_logout_redirect_uri'), `${app.url}/signin`);
    const state = toIs.searchParams.get('state');
    assert.match(String(state), /^[\w-]{32,}$/, 'a random state');

    const back = page.redirects.find((u) => u.startsWith(`${app.url}/signin?`));
    assert.equal(new URL(back!).searchParams.get('state'), state, 'IS returns the state');
    assert.equal(page.url, `${app.url}/signin?signedOut=1`, 'lands on the configured page');
    assert.deepEqual(page.json, { page: 'signin', signedOut: '1', messages: [], user: null } satisfies SignInPage);

    assert.equal((await me(browser, app)).user, null, 'the local login ended');
    assert.ok(!(await app.sessionIds()).includes(before.sessionID), 'the logged-in session is gone from the store');

    const again = await browser.get(`${app.url}/login`);
    assert.match(again.url, /\/authenticationendpoint\/login\.do/, 'IS asks for the password again: its session ended');
  });

  it('POST /logout works the same way (the form README recommends)', async () => {
    const app = world.apps[0]!;
    const browser = world.browser();
    const { me: before } = await signIn(browser, app);
    const page = await browser.post(`${app.url}/logout`, {});
    assert.equal(new URL(page.redirects[1]!).searchParams.get('id_token_hint'), before.tokens!.idToken);
    assert.equal(page.url, `${app.url}/signin?signedOut=1`);
    assert.equal((await me(browser, app)).user, null);
    assert.match((await browser.get(`${app.url}/login`)).url, /\/authenticationendpoint\/login\.do/);
  });

  it('without a login in the session, the redirect carries client_id and no id_token_hint', async () => {
    const app = world.apps[0]!;
    const browser = world.browser();
    const page = await browser.get(`${app.url}/logout`);
    const toIs = new URL(page.redirects[1]!);
    assert.equal(toIs.searchParams.get('client_id'), app.clientId);
    assert.equal(toIs.searchParams.get('id_token_hint'), null);
    assert.ok(toIs.searchParams.get('state'));
  });

  it('the logout response is not cached and goes only to the configured IS', async () => {
    const app = world.apps[0]!;
    const res = await fetch(`${app.url}/logout`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.ok(res.headers.get('location')!.startsWith(`${world.is.origin}/oidc/logout?`));
  });

  it('a replayed logout return (same state twice) is refused with a clear message, without a loop', async () => {
    const app = world.apps[0]!;
    const browser = world.browser();
    await signIn(browser, app);
    const page = await browser.get(`${app.url}/logout`);
    const back = page.redirects.find((u) => u.startsWith(`${app.url}/signin?`))!;
    const replay = await browser.get(back);
    assert.equal(replay.url, `${app.url}/signin?signedOut=1`, 'lands on the configured page of this application');
    assert.equal(replay.redirects.length, 2, 'one redirect, no loop');
    const json = replay.json as SignInPage;
    assert.equal(json.messages.length, 1);
    assert.match(json.messages[0]!, /does not match a sign-out started in this browser/);
  });

  it('a logout return with a foreign state (started in another browser) is refused', async () => {
    const app = world.apps[0]!;
    const victim = world.browser();
    const attacker = world.browser();
    await signIn(attacker, app);
    const started = await fetch(`${app.url}/logout`, { redirect: 'manual' });
    const foreignState = new URL(started.headers.get('location')!).searchParams.get('state')!;
    const page = await victim.get(`${app.url}/signin?state=${encodeURIComponent(foreignState)}`);
    assert.equal(page.url, `${app.url}/signin?signedOut=1`);
    assert.match((page.json as SignInPage).messages[0]!, /does not match a sign-out started in this browser/);
  });

  it('a logout return without state (error only, or state repeated) is refused', async () => {
    const app = world.apps[0]!;
    const browser = world.browser();
    const noState = await browser.get(`${app.url}/signin?error=access_denied`);
    assert.match((noState.json as SignInPage).messages[0]!, /does not match a sign-out started in this browser/);
    const twice = await browser.get(`${app.url}/signin?state=a&state=a`);
    assert.equal((twice.json as SignInPage).messages.length, 2);
  });

  it('a request without state or error is the sign-in page itself (next()), not a logout return', async () => {
    const app = world.apps[0]!;
    const res = await fetch(`${app.url}/signin?signedOut=1`, { redirect: 'manual' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { page: 'signin', signedOut: '1', messages: [], user: null });
  });

  it('logout({ revoke: true }) revokes the access and refresh tokens at IS (200 with an empty body is success)', async () => {
    const app = world.apps[0]!;
    // The browser stops before IS's end-session endpoint: IS ending its session would revoke the grant by itself.
    const stopAtIs = [`${world.is.origin}/oidc/logout`];
    const plain = world.browser(stopAtIs);
    const { me: kept } = await signIn(plain, app);
    const left = await plain.post(`${app.url}/logout`, {});
    assert.ok(left.stopped);
    assert.equal(await world.active(app, kept.tokens!.accessToken), true, 'control: a plain logout leaves the tokens to IS');

    const browser = world.browser(stopAtIs);
    const { me: before } = await signIn(browser, app);
    assert.ok(before.tokens?.refreshToken);
    assert.equal(await world.active(app, before.tokens.accessToken), true);
    const page = await browser.post(`${app.url}/logout-revoke`, {});
    assert.ok(page.stopped, 'still sent on to IS');
    assert.equal(new URL(page.url).searchParams.get('id_token_hint'), before.tokens.idToken);
    assert.equal(await world.active(app, before.tokens.accessToken), false, 'access token revoked');
    assert.equal(await world.active(app, before.tokens.refreshToken), false, 'refresh token revoked');
    assert.equal((await me(browser, app)).user, null);
  });

  it('logoutCallback refuses a redirect to another site or one that would loop, at set-up', () => {
    const strategy = world.apps[0]!.strategy;
    for (const redirect of ['https://evil.example/', '//evil.example', '/signin?state=1', '/signin?error=x', 'javascript:alert(1)']) {
      assert.throws(() => strategy.logoutCallback({ redirect }), (err: Wso2IsError) => err.code === 'CONFIG_INVALID', redirect);
    }
    assert.throws(() => strategy.logoutCallback({ redirect: '/ok', failureRedirect: 'https://evil.example/' }), /failureRedirect/);
    assert.throws(() => strategy.logout({ revoke: 'yes' as unknown as boolean }), /revoke/);
  });
});

describe('RP-initiated logout with IS logout consent', () => {
  let world: World;

  before(async () => {
    world = await startWorld([{ clientId: 'consent-app' }], { logoutConsent: true });
  });
  after(async () => {
    await world?.close();
  });

  it('"No" on IS\'s logout page (error=access_denied) lands on the configured page with a clear message; the IS session stays', async () => {
    const app = world.apps[0]!;
    const browser = world.browser();
    await signIn(browser, app);
    const ask = await browser.get(`${app.url}/logout`);
    assert.match(ask.body, /Do you want to logout\?/);
    const page = await browser.confirmLogout(ask, 'no');
    const back = new URL(page.redirects.find((u) => u.startsWith(`${app.url}/signin?`))!);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(page.url, `${app.url}/signin?signedOut=1`);
    const json = page.json as SignInPage;
    assert.equal(json.user, null, 'the local login ended all the same');
    assert.match(json.messages[0]!, /cancelled at WSO2 Identity Server/);
    const again = await signIn(browser, app);
    assert.equal(again.askedPassword, false, 'IS still has its session: no password asked');
  });

  it('"Yes" on IS\'s logout page ends the IS session and returns with the state', async () => {
    const app = world.apps[0]!;
    const browser = world.browser();
    await signIn(browser, app);
    const ask = await browser.get(`${app.url}/logout`);
    const page = await browser.confirmLogout(ask, 'yes');
    assert.equal(page.url, `${app.url}/signin?signedOut=1`);
    assert.deepEqual((page.json as SignInPage).messages, []);
    assert.match((await browser.get(`${app.url}/login`)).url, /\/authenticationendpoint\/login\.do/);
  });
});

describe('front-channel logout (against the local identity server)', () => {
  let world: World;

  before(async () => {
    world = await startWorld([{ clientId: 'fc-app-a', frontchannel: true }, { clientId: 'fc-app-b' }]);
  });
  after(async () => {
    await world?.close();
  });

  it('a logout from another application loads this application\'s front-channel URL in IS\'s page, which ends its session', async () => {
    const [appA, appB] = world.apps as [LiveApp, LiveApp];
    const browser = world.browser();
    const a = await signIn(browser, appA);
    await signIn(browser, appB);
    const sid = String(decodeJwt(a.me.tokens!.idToken)['sid']);

    const page = await browser.get(`${appB.url}/logout`);
    assert.equal(page.url, `${appB.url}/signin?signedOut=1`);
    const frame = browser.history.find((h) => h.kind === 'iframe' && h.url.startsWith(`${appA.url}/frontchannel-logout?`));
    assert.ok(frame, 'IS loaded the front-channel logout URL in an iframe');
    assert.equal(frame.status, 200);
    const params = new URL(frame.url).searchParams;
    assert.equal(params.get('sid'), sid);
    assert.equal(params.get('iss'), world.is.issuer());
    assert.ok(!(await appA.sessionIds()).includes(a.me.sessionID), 'the session is destroyed in the store');
    assert.equal((await me(browser, appA)).user, null);
  });

  it('works without the application\'s cookie (third-party cookies blocked): the session is found by sid', async () => {
    const [appA] = world.apps as [LiveApp];
    const browser = world.browser();
    const a = await signIn(browser, appA);
    const sid = String(decodeJwt(a.me.tokens!.idToken)['sid']);
    const res = await fetch(`${appA.url}/frontchannel-logout?iss=${encodeURIComponent(world.is.issuer())}&sid=${encodeURIComponent(sid)}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /text\/html/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.match(res.headers.get('content-security-policy')!, new RegExp(`frame-ancestors 'self' ${world.is.origin}`));
    assert.equal((await me(browser, appA)).user, null);
  });

  it('another issuer, a missing sid or an unknown sid ends no session', async () => {
    const [appA] = world.apps as [LiveApp];
    const browser = world.browser();
    const a = await signIn(browser, appA);
    const sid = String(decodeJwt(a.me.tokens!.idToken)['sid']);
    const url = (q: string) => `${appA.url}/frontchannel-logout?${q}`;
    const otherIssuer = await browser.get(url(`iss=${encodeURIComponent(`${world.is.origin}/t/acme.com/oauth2/token`)}&sid=${sid}`));
    assert.equal(otherIssuer.status, 400);
    const noSid = await browser.get(url(`iss=${encodeURIComponent(world.is.issuer())}`));
    assert.equal(noSid.status, 400);
    const twice = await browser.get(url(`iss=${encodeURIComponent(world.is.issuer())}&sid=${sid}&sid=${sid}`));
    assert.equal(twice.status, 400);
    const unknown = await fetch(url(`iss=${encodeURIComponent(world.is.issuer())}&sid=00000000-0000-4000-a000-000000000000`));
    assert.equal(unknown.status, 200);
    assert.ok((await appA.sessionIds()).includes(a.me.sessionID));
    assert.ok((await me(browser, appA)).user, 'still signed in');
  });
});

describe('sign-out, refresh and back-channel logout while IS is down', () => {
  let world: World;
  let app: LiveApp;
  let browser: ReturnType<World['browser']>;
  let bystander: ReturnType<World['browser']>;
  let signedIn: Me;
  let logoutToken: string;

  before(async () => {
    world = await startWorld([{ clientId: 'down-app', backchannel: true }]);
    app = world.apps[0]!;
    // Both browsers sign in while IS is up (the strategy caches discovery), and stop at IS's end-session endpoint.
    browser = world.browser([`${world.is.origin}/oidc/logout`]);
    bystander = world.browser([`${world.is.origin}/oidc/logout`]);
    await signIn(browser, app);
    signedIn = (await signIn(bystander, app)).me;
    const jwk = await loadSigningKey(TEST_DATA_DIR, 'carbon.super');
    logoutToken = await new SignJWT({ events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, sid: String(decodeJwt(signedIn.tokens!.idToken)['sid']) })
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'logout+jwt' })
      .setIssuer(world.is.issuer())
      .setAudience(app.clientId)
      .setIssuedAt()
      .setExpirationTime('2m')
      .setJti(randomUUID())
      .sign(await importJWK(jwk as unknown as JWK, 'RS256'));
    await world.is.stop();
  });
  after(async () => {
    await world?.close();
  });

  it('a failed revocation does not stop the sign-out: the local login ends and the browser is sent to IS', async () => {
    const page = await browser.post(`${app.url}/logout-revoke`, {});
    assert.ok(page.stopped && page.url.startsWith(`${world.is.origin}/oidc/logout?`), page.url);
    assert.equal((await me(browser, app)).user, null);
  });

  it('a refresh fails with IS_UNREACHABLE (502)', async () => {
    const res = await bystander.get(`${app.url}/refresh?margin=7200`);
    assert.equal(res.status, 502);
    assert.equal((res.json as { code: string }).code, 'IS_UNREACHABLE');
    assert.deepEqual((await me(bystander, app)).tokens, signedIn.tokens, 'the session keeps its tokens');
  });

  it('a back-channel logout signed by a key that is not cached and cannot be fetched answers 400 LOGOUT_FAILED and ends nothing', async () => {
    const rotated = await generateKeyPair('RS256');
    const unknownKey = await new SignJWT(decodeJwt(logoutToken))
      .setProtectedHeader({ alg: 'RS256', kid: 'rotated-key_RS256', typ: 'logout+jwt' })
      .setJti(randomUUID())
      .sign(rotated.privateKey);
    const realNow = Date.now;
    Date.now = () => realNow() + 61_000; // past the JWKS refetch cooldown, so the unknown kid makes it try IS
    let res: Awaited<ReturnType<World['post']>>;
    try {
      res = await world.post(`${app.url}/backchannel-logout`, { logout_token: unknownKey });
    } finally {
      Date.now = realNow;
    }
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = JSON.parse(res.text) as { error: string; code: string };
    assert.deepEqual([body.error, body.code], ['server_error', 'LOGOUT_FAILED']);
    assert.ok((await me(bystander, app)).user, 'still signed in');
  });

  it('a back-channel logout signed by the cached key still ends the session while IS is down', async () => {
    const res = await world.post(`${app.url}/backchannel-logout`, { logout_token: logoutToken });
    assert.equal(res.status, 200, res.text);
    assert.equal((await me(bystander, app)).user, null);
  });
});
