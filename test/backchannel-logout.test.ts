/**
 * Back-channel logout against the local identity server: a logout from another application of the same IS
 * session ends this application's session (destroyed in the store, the next request is anonymous), and forged,
 * replayed, expired, wrongly signed or wrongly shaped logout tokens are refused (400) without ending any session.
 *
 * Tokens with one rule broken are signed with the identity server's own tenant key (read from its data
 * directory), so each is refused for the rule it breaks and not merely for its signature; a token signed the same
 * way with nothing broken ends the session (the control).
 */
import assert from 'node:assert/strict';
import { generateKeyPair, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import express from 'express';
import session from 'express-session';
import * as jose from 'jose';
import { Passport } from 'passport';
import { startIdentityServer, type IdentityServer } from '../identity-server/index.js';
import { loadSigningKey } from '../identity-server/keys.js';
import { BACKCHANNEL_LOGOUT_EVENT, MemorySessionIndex, Wso2IsStrategy, type SessionIndex } from '../lib/index.js';
import { TEST_DATA_DIR } from './identity-server/fixture.js';
import { TestBrowser } from './support/browser.js';
import { me, signIn, startWorld, type LiveApp, type World } from './support/live.js';

const now = (): number => Math.floor(Date.now() / 1000);

describe('back-channel logout (against the local identity server)', () => {
  let world: World;
  let appA: LiveApp;
  let appB: LiveApp;

  before(async () => {
    world = await startWorld([
      { clientId: 'bc-app-a', backchannel: true },
      { clientId: 'bc-app-b', backchannel: true },
    ]);
    [appA, appB] = world.apps as [LiveApp, LiveApp];
  });
  after(async () => {
    await world?.close();
  });

  it('a logout from a second application of the same IS session ends this application\'s session', async () => {
    const browser = world.browser();
    const other = world.browser();
    const a = await signIn(browser, appA);
    const b = await signIn(browser, appB);
    assert.equal(b.askedPassword, false, 'single sign-on: the second application shares the IS session');
    const bystander = await signIn(other, appA);
    const answersBefore = appA.backchannelAnswers.length;

    const page = await browser.get(`${appB.url}/logout`);
    assert.equal(page.url, `${appB.url}/signin?signedOut=1`);

    assert.deepEqual(appA.backchannelAnswers.slice(answersBefore), [200], 'IS POSTed a logout token to application A, which accepted it');
    const ids = await appA.sessionIds();
    assert.ok(!ids.includes(a.me.sessionID), 'application A\'s session of that IS session is destroyed in the store');
    assert.equal((await me(browser, appA)).user, null, 'the next request to application A is anonymous');
    assert.ok(ids.includes(bystander.me.sessionID), 'another IS session (another browser) is untouched');
    assert.ok((await me(other, appA)).user, 'the other browser is still signed in to A');
  });

  describe('logout tokens that must be refused (400, no session ended)', () => {
    let browser: ReturnType<World['browser']>;
    let sessionID: string;
    let sid: string;
    let sub: string;
    let idToken: string;
    let isKey: CryptoKey;
    let kid: string;
    let otherKey: CryptoKey;

    before(async () => {
      const jwk = await loadSigningKey(TEST_DATA_DIR, 'carbon.super');
      kid = jwk.kid;
      isKey = (await jose.importJWK(jwk as unknown as jose.JWK, 'RS256')) as CryptoKey;
      const pair = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
      otherKey = pair.privateKey as unknown as CryptoKey;
      browser = world.browser();
      const signedIn = await signIn(browser, appA);
      sessionID = signedIn.me.sessionID;
      idToken = signedIn.me.tokens!.idToken;
      const claims = jose.decodeJwt(idToken);
      sid = String(claims['sid']);
      sub = String(claims.sub);
    });

    /** A logout token for the signed-in session, correct unless told otherwise. */
    async function token(options: {
      claims?: Record<string, unknown>;
      drop?: string[];
      header?: Record<string, unknown>;
      key?: CryptoKey | Uint8Array;
      alg?: string;
    } = {}): Promise<string> {
      const claims: Record<string, unknown> = {
        iss: world.is.issuer(),
        aud: appA.clientId,
        iat: now(),
        exp: now() + 120,
        jti: randomUUID(),
        sid,
        sub,
        events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
        ...options.claims,
      };
      for (const name of options.drop ?? []) delete claims[name];
      const alg = options.alg ?? 'RS256';
      return new jose.SignJWT(claims as jose.JWTPayload)
        .setProtectedHeader({ alg, kid, typ: 'logout+jwt', ...options.header } as jose.JWTHeaderParameters)
        .sign(options.key ?? isKey);
    }

    async function expectRefused(logoutToken: string, rule: RegExp): Promise<void> {
      const res = await world.post(`${appA.url}/backchannel-logout`, { logout_token: logoutToken });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const body = JSON.parse(res.text) as { error: string; error_description: string; code: string };
      assert.equal(body.error, 'invalid_request');
      assert.equal(body.code, 'LOGOUT_TOKEN_INVALID');
      assert.match(body.error_description, rule);
      assert.ok(!body.error_description.includes(logoutToken.split('.')[1]!), 'the token is not echoed');
      assert.ok((await appA.sessionIds()).includes(sessionID), 'the session was not ended');
    }

    afterEach(async function (this: Mocha.Context) {
      if (this.currentTest?.state !== 'passed' || this.currentTest.title.startsWith('control')) return;
      assert.ok((await me(browser, appA)).user, 'still signed in');
    });

    it('forged: signed with another key under the IS key id', async () => {
      await expectRefused(await token({ key: otherKey }), /signature verification failed/);
    });

    it('forged: signed with another key under an unknown key id', async () => {
      await expectRefused(await token({ key: otherKey, header: { kid: 'attacker-key' } }), /no key of the tenant JWKS matches/);
    });

    it('wrongly signed: HS256 with the client secret as key', async () => {
      await expectRefused(await token({ alg: 'HS256', key: new TextEncoder().encode(appA.clientSecret) }), /configured algorithm/);
    });

    it('unsigned: alg none', async () => {
      const claims = jose.decodeJwt(await token());
      const none = new jose.UnsecuredJWT(claims).encode();
      await expectRefused(none, /configured algorithm|not a valid signed JWT/);
    });

    it('expired (exp past, beyond the clock tolerance)', async () => {
      await expectRefused(await token({ claims: { iat: now() - 900, exp: now() - 600 } }), /"exp" claim check failed|"iat" claim check failed/);
    });

    it('issued too long ago (iat older than 5 minutes, exp still ahead)', async () => {
      await expectRefused(await token({ claims: { iat: now() - 3600, exp: now() + 3600 } }), /"iat" claim check failed/);
    });

    it('without exp', async () => {
      await expectRefused(await token({ drop: ['exp'] }), /"exp" claim check failed/);
    });

    it('with a nonce (an ID token shape)', async () => {
      await expectRefused(await token({ claims: { nonce: 'n-0S6_WzA2Mj' } }), /nonce/);
    });

    it('the application\'s own ID token posted as a logout token', async () => {
      await expectRefused(idToken, /"iat" claim check failed|events|typ|nonce|"jti"/);
    });

    it('for another audience (another application of IS)', async () => {
      await expectRefused(await token({ claims: { aud: appB.clientId } }), /"aud" claim check failed/);
    });

    it('from another issuer (another tenant)', async () => {
      await expectRefused(await token({ claims: { iss: `${world.is.origin}/t/acme.com/oauth2/token` } }), /"iss" claim check failed/);
    });

    it('without the back-channel logout event, or with another event', async () => {
      await expectRefused(await token({ drop: ['events'] }), /"events" claim check failed/);
      await expectRefused(await token({ claims: { events: { 'http://schemas.openid.net/event/other': {} } } }), /events/);
      await expectRefused(await token({ claims: { events: { [BACKCHANNEL_LOGOUT_EVENT]: 'yes' } } }), /events/);
    });

    it('with an explicit typ of another kind of JWT (an access token is not a logout token)', async () => {
      await expectRefused(await token({ header: { typ: 'at+jwt' } }), /typ/);
    });

    it('naming neither sid nor sub', async () => {
      await expectRefused(await token({ drop: ['sid', 'sub'] }), /neither a "sid" nor a "sub"/);
    });

    it('without jti', async () => {
      await expectRefused(await token({ drop: ['jti'] }), /"jti" claim check failed/);
    });

    it('a request without a logout_token, with two, or as JSON', async () => {
      const valid = await token();
      const empty = await world.post(`${appA.url}/backchannel-logout`, {});
      assert.equal(empty.status, 400);
      assert.equal(empty.headers.get('cache-control'), 'no-store');
      assert.match(empty.text, /logout_token is missing/);
      const twice = await fetch(`${appA.url}/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `logout_token=${valid}&logout_token=${valid}`,
      });
      assert.equal(twice.status, 400);
      assert.match(((await twice.json()) as { error_description: string }).error_description, /repeated/);
      const json = await fetch(`${appA.url}/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ logout_token: valid }),
      });
      assert.equal(json.status, 400);
      assert.ok((await appA.sessionIds()).includes(sessionID));
    });

    it('control: the same token with nothing broken ends the session; replayed (same jti) it is refused', async () => {
      const valid = await token();
      const res = await world.post(`${appA.url}/backchannel-logout`, { logout_token: valid });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.ok(!(await appA.sessionIds()).includes(sessionID), 'the session is destroyed');
      assert.equal((await me(browser, appA)).user, null);

      // Sign in again in the same IS session (same sid): the replayed token must not end the new session.
      const again = await signIn(browser, appA);
      assert.equal(again.askedPassword, false, 'same IS session');
      assert.equal(jose.decodeJwt(again.me.tokens!.idToken)['sid'], sid);
      sessionID = again.me.sessionID;
      await expectRefused(valid, /replayed/);
    });

    it('control: a token typed plainly JWT (IS signs logout tokens like its ID tokens) is accepted', async () => {
      const res = await world.post(`${appA.url}/backchannel-logout`, { logout_token: await token({ header: { typ: 'JWT' } }) });
      assert.equal(res.status, 200, res.text);
      assert.ok(!(await appA.sessionIds()).includes(sessionID), 'the session is destroyed');
    });
  });

  it('a session store that fails to end the sessions: 400 LOGOUT_FAILED, no-store', async () => {
    const browser = world.browser();
    const { me: signedIn } = await signIn(browser, appA);
    const jwk = await loadSigningKey(TEST_DATA_DIR, 'carbon.super');
    const logoutToken = await new jose.SignJWT({ events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, sid: String(jose.decodeJwt(signedIn.tokens!.idToken)['sid']) })
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'logout+jwt' })
      .setIssuer(world.is.issuer())
      .setAudience(appA.clientId)
      .setIssuedAt()
      .setExpirationTime('2m')
      .setJti(randomUUID())
      .sign(await jose.importJWK(jwk as unknown as jose.JWK, 'RS256'));
    const destroy = appA.store.destroy;
    appA.store.destroy = (_sid: string, callback?: (err?: unknown) => void) => callback?.(new Error('store unavailable'));
    try {
      const res = await world.post(`${appA.url}/backchannel-logout`, { logout_token: logoutToken });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const body = JSON.parse(res.text) as { error: string; error_description: string; code: string };
      assert.deepEqual([body.error, body.code], ['server_error', 'LOGOUT_FAILED']);
      assert.ok(!body.error_description.includes('store unavailable'), 'no internals in the answer');
    } finally {
      appA.store.destroy = destroy;
    }
  });

  it('a logout token naming only sub ends every session of that user in this application', async () => {
    const first = world.browser();
    const second = world.browser();
    const one = await signIn(first, appA);
    const two = await signIn(second, appA);
    const jwk = await loadSigningKey(TEST_DATA_DIR, 'carbon.super');
    const key = await jose.importJWK(jwk as unknown as jose.JWK, 'RS256');
    const logoutToken = await new jose.SignJWT({
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      jti: randomUUID(),
      sub: String(jose.decodeJwt(one.me.tokens!.idToken).sub),
    })
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'logout+jwt' })
      .setIssuer(world.is.issuer())
      .setAudience(appA.clientId)
      .setIssuedAt()
      .setExpirationTime('2m')
      .sign(key);
    const res = await world.post(`${appA.url}/backchannel-logout`, { logout_token: logoutToken });
    assert.equal(res.status, 200, res.text);
    const ids = await appA.sessionIds();
    assert.ok(!ids.includes(one.me.sessionID) && !ids.includes(two.me.sessionID), 'both sessions of the user ended');
    assert.equal((await me(first, appA)).user, null);
    assert.equal((await me(second, appA)).user, null);
  });
});

describe('session index', () => {
  it('MemorySessionIndex: take by sid returns that IS session\'s application sessions once; by sub, all of the user\'s', () => {
    const index = new MemorySessionIndex();
    index.add('sid-1', 'alice', 's1');
    index.add('sid-1', 'alice', 's2');
    index.add('sid-2', 'alice', 's3');
    index.add('sid-3', 'bob', 's4');
    assert.deepEqual(index.take({ sid: 'sid-1' }).sort(), ['s1', 's2']);
    assert.deepEqual(index.take({ sid: 'sid-1' }), [], 'taken once');
    assert.deepEqual(index.take({ sub: 'alice' }), ['s3'], 'what a sid logout took is gone from the user too');
    assert.deepEqual(index.take({ sub: 'nobody' }), []);
    assert.equal(index.size, 1);
  });

  it('MemorySessionIndex is bounded: past maxSessions the oldest entries are forgotten', () => {
    const index = new MemorySessionIndex({ maxSessions: 3 });
    for (let i = 1; i <= 5; i++) index.add(`sid-${i}`, 'alice', `s${i}`);
    assert.equal(index.size, 3);
    assert.deepEqual(index.take({ sid: 'sid-1' }), []);
    assert.deepEqual(index.take({ sub: 'alice' }).sort(), ['s3', 's4', 's5']);
  });

  describe('a custom index (distributed deployments)', () => {
    let world: World;
    const calls: Array<[string, ...unknown[]]> = [];

    before(async () => {
      world = await startWorld([{ clientId: 'idx-app-a', backchannel: true }, { clientId: 'idx-app-b' }]);
      const memory = new MemorySessionIndex();
      world.apps[0]!.strategy.sessionIndex = {
        add: async (sid, sub, sessionId) => {
          calls.push(['add', sid, sub, sessionId]);
          memory.add(sid, sub, sessionId);
        },
        take: async (key) => {
          calls.push(['take', key]);
          return memory.take(key);
        },
      } satisfies SessionIndex;
    });
    after(async () => {
      await world?.close();
    });

    it('is written at login with the session id passport gives the session after regenerating it, and read by back-channel logout', async () => {
      const [appA, appB] = world.apps as [LiveApp, LiveApp];
      const browser = world.browser();
      const { me: a } = await signIn(browser, appA);
      const claims = jose.decodeJwt(a.tokens!.idToken);
      assert.deepEqual(calls, [['add', claims['sid'], claims.sub, a.sessionID]], 'the id of the session the browser now holds');
      await signIn(browser, appB);
      await browser.get(`${appB.url}/logout`);
      assert.deepEqual(calls[1], ['take', { sid: claims['sid'] }]);
      assert.equal((await me(browser, appA)).user, null);
    });
  });
});

describe('back-channel logout with two strategies (two tenants) in one application', () => {
  let is: IdentityServer | undefined;
  let server: Server | undefined;
  const strategies: Wso2IsStrategy[] = [];
  const browsers: TestBrowser[] = [];

  after(async () => {
    await Promise.all(browsers.map((b) => b.close()));
    await Promise.all(strategies.map((s) => s.close()));
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    }
    await is?.stop();
  });

  it('a login through tenant B (new session id) keeps tenant A\'s login reachable by A\'s back-channel logout', async () => {
    server = createHttpServer();
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    is = await startIdentityServer({
      port: 0,
      dataDir: TEST_DATA_DIR,
      tenants: [{ domain: 'acme.com' }],
      users: [{ username: 'alice@acme.com', password: 'alice-pw' }],
      applications: [
        { clientId: 'tt-a', clientSecret: 'tt-a-secret', redirectUris: [`${base}/login/a`], skipConsent: true },
        { clientId: 'tt-b', clientSecret: 'tt-b-secret', tenant: 'acme.com', redirectUris: [`${base}/login/b`], skipConsent: true },
      ],
    });
    const make = (name: string, clientId: string, tenant?: string) => new Wso2IsStrategy(
      { serverOrigin: is!.origin, certificatePath: is!.caPath, clientId, clientSecret: `${clientId}-secret`, callbackURL: `${base}/login/${name}`, name, ...(tenant ? { tenant } : {}) },
      (_tokens, profile, done) => done(null, { id: profile.id }),
    );
    const a = make('a', 'tt-a');
    const b = make('b', 'tt-b', 'acme.com');
    strategies.push(a, b);
    const passport = new Passport();
    passport.use(a);
    passport.use(b);
    passport.serializeUser((user, done) => done(null, user));
    passport.deserializeUser((user: Express.User, done) => done(null, user));
    const app = express();
    app.use(session({ secret: 'two-tenants', resave: false, saveUninitialized: false }));
    app.use(passport.session());
    app.get('/login/:name', (req, res, next) => passport.authenticate(String(req.params['name']), { successRedirect: '/me' })(req, res, next));
    app.post('/backchannel-logout/a', a.backchannelLogout());
    app.get('/me', (req, res) => res.json({ a: a.getTokens(req) ?? null, b: b.getTokens(req) ?? null, sessionID: req.sessionID }));
    server.on('request', app);

    type Me2 = { a: { idToken: string } | null; b: { idToken: string } | null; sessionID: string };
    const browser = new TestBrowser({ ca: is.caPem });
    browsers.push(browser);
    const loginThrough = async (name: string, username: string, password: string): Promise<Me2> => {
      const page = await browser.login(await browser.get(`${base}/login/${name}`), username, password);
      assert.equal(page.url, `${base}/me`, page.body.slice(0, 300));
      return page.json as Me2;
    };
    const afterA = await loginThrough('a', 'admin', 'admin');
    const afterB = await loginThrough('b', 'alice', 'alice-pw');
    assert.notEqual(afterB.sessionID, afterA.sessionID, 'B\'s login gave the session a new id');
    assert.ok(afterB.a && afterB.b, 'both logins are in the session');

    const jwk = await loadSigningKey(TEST_DATA_DIR, 'carbon.super');
    const logoutToken = await new jose.SignJWT({ events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, sid: String(jose.decodeJwt(afterA.a!.idToken)['sid']) })
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'logout+jwt' })
      .setIssuer(is.issuer())
      .setAudience('tt-a')
      .setIssuedAt()
      .setExpirationTime('2m')
      .setJti(randomUUID())
      .sign(await jose.importJWK(jwk as unknown as jose.JWK, 'RS256'));
    const res = await fetch(`${base}/backchannel-logout/a`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: logoutToken }).toString(),
    });
    assert.equal(res.status, 200, await res.text());
    const end = (await browser.get(`${base}/me`)).json as Me2;
    assert.equal(end.a, null, 'the session holding A\'s login ended (and B\'s login with it: one application session)');
    assert.equal(end.b, null);
  });
});
