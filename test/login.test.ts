/**
 * The login redirect: what goes to IS (and what never does), per-login options, returnTo, pending logins
 * (tabs) and the discovery cache. IS is played by FakeIs (a real HTTPS server); the application is a real Express app.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { Wso2IsStrategy, type Wso2IsOptions } from '../lib/index.js';
import { FakeIs, type FakeIsOptions } from './support/fake-is.js';
import { AppClient, startApp, type ClientResponse, type TestApp } from './support/app.js';

const CALLBACK = 'http://127.0.0.1/login';
const DISCOVERY_PATH = '/oauth2/token/.well-known/openid-configuration';

type Failure = { outcome: string; info: { code: string; message: string } };
type Me = { user: { id: string } | null; tokens: Record<string, { idToken: string } | null>; sessionID: string; session: Record<string, unknown> };
type PendingState = { pending?: Record<string, { codeVerifier: string; nonce: string; createdAt: number; returnTo?: string }> };

function strategyFor(is: FakeIs, extra: Partial<Wso2IsOptions> = {}): Wso2IsStrategy {
  return new Wso2IsStrategy(
    { ...is.strategyOptions(), callbackURL: CALLBACK, ...extra, passReqToCallback: false },
    (_tokens, profile, done) => done(null, { id: profile.id }),
  );
}

function params(location: string | null): URLSearchParams {
  assert.ok(location, 'expected a redirect');
  return new URL(location).searchParams;
}

/** Starts a login and expects the redirect to IS. */
async function startLogin(client: AppClient, path = '/login'): Promise<ClientResponse & { location: string }> {
  const res = await client.get(path);
  assert.equal(res.status, 302, `login answered ${res.status}: ${res.body}`);
  assert.ok(res.location);
  return res as ClientResponse & { location: string };
}

function callbackPath(is: FakeIs, location: string, path = '/login'): { state: string; path: string } {
  const { code, state } = is.authorize(location);
  return { state, path: `${path}?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}` };
}

/** The sessions in the test app's MemoryStore. */
function sessions(store: session.MemoryStore): Promise<Record<string, Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    store.all((err, all) => (err ? reject(err as Error) : resolve((all ?? {}) as unknown as Record<string, Record<string, unknown>>)));
  });
}

async function onlySession(store: session.MemoryStore): Promise<Record<string, unknown>> {
  const all = Object.values(await sessions(store));
  assert.equal(all.length, 1, `expected one session, found ${all.length}`);
  return all[0]!;
}

function pendingOf(sess: Record<string, unknown>, name = 'wso2is'): Record<string, unknown> {
  return (sess[`wso2is:${name}`] as PendingState | undefined)?.pending ?? {};
}

/**
 * A minimal app for what test/support/app.ts does not cover: `GET /go?opts=<json>` runs
 * `passport.authenticate(name, opts)`; `withSession: false` mounts no session middleware at all.
 */
async function startCustomApp(strategy: Wso2IsStrategy, withSession = true): Promise<{ url: string; close(): Promise<void> }> {
  const passport = new Passport();
  passport.use(strategy);
  const app = express();
  if (withSession) app.use(session({ secret: 'test-secret', resave: false, saveUninitialized: false }));
  app.get('/go', (req: Request, res: Response, next: NextFunction) => {
    const raw = typeof req.query['opts'] === 'string' ? req.query['opts'] : '{}';
    passport.authenticate(strategy.name, JSON.parse(raw) as Record<string, unknown>)(req, res, next);
  });
  app.use((err: Error & { code?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(err.status ?? 500).json({ code: err.code ?? null, message: err.message });
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('login', () => {
  let is: FakeIs;
  let app: TestApp | undefined;
  let custom: { url: string; close(): Promise<void> } | undefined;
  let strategy: Wso2IsStrategy | undefined;

  /**
   * FakeIs, one strategy and the standard test app. `faults` injects IS's faults before the strategy's first
   * request; `strategy` may compute options from the started IS.
   */
  async function setup(options: {
    is?: FakeIsOptions;
    strategy?: Partial<Wso2IsOptions> | ((is: FakeIs) => Partial<Wso2IsOptions>);
    faults?: (is: FakeIs) => void;
  } = {}): Promise<AppClient> {
    is = await new FakeIs(options.is).start();
    options.faults?.(is);
    strategy = strategyFor(is, typeof options.strategy === 'function' ? options.strategy(is) : options.strategy);
    app = await startApp([strategy]);
    return new AppClient(app.url);
  }

  /** Runs `passport.authenticate('wso2is', opts)` through the custom app and returns the response. */
  async function authenticateWith(opts: Record<string, unknown>, config: Partial<Wso2IsOptions> = {}): Promise<ClientResponse> {
    is = await new FakeIs().start();
    strategy = strategyFor(is, config);
    custom = await startCustomApp(strategy);
    return new AppClient(custom.url).get(`/go?opts=${encodeURIComponent(JSON.stringify(opts))}`);
  }

  afterEach(async () => {
    await app?.close();
    await custom?.close();
    await strategy?.close();
    await is?.close();
    app = undefined;
    custom = undefined;
    strategy = undefined;
  });

  describe('the redirect to IS', () => {
    it('is an authorization code request with PKCE S256, state, nonce and the openid scope', async () => {
      const client = await setup();
      const { location } = await startLogin(client);
      const url = new URL(location);
      assert.equal(`${url.origin}${url.pathname}`, `${is.origin}/oauth2/authorize`);
      const p = url.searchParams;
      assert.equal(p.get('response_type'), 'code');
      assert.equal(p.get('client_id'), is.clientId);
      assert.equal(p.get('redirect_uri'), CALLBACK);
      assert.ok(p.get('scope')!.split(' ').includes('openid'));
      assert.deepEqual(p.get('scope')!.split(' '), ['openid', 'profile', 'email']);
      assert.equal(p.get('code_challenge_method'), 'S256');
      assert.match(p.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
      assert.match(p.get('state')!, /^[A-Za-z0-9_-]{22,}$/);
      assert.match(p.get('nonce')!, /^[A-Za-z0-9_-]{22,}$/);
      for (const name of ['state', 'nonce', 'code_challenge', 'response_type', 'client_id', 'redirect_uri']) {
        assert.equal(p.getAll(name).length, 1, `${name} appears once`);
      }
    });

    it('never carries the client secret (it is sent to the token endpoint only)', async () => {
      const client = await setup();
      const { location } = await startLogin(client);
      assert.ok(!location.includes(is.clientSecret), 'the secret is not in the URL');
      assert.ok(!location.includes(encodeURIComponent(is.clientSecret)));
      assert.equal(params(location).get('client_secret'), null);
    });

    it('uses a fresh state, nonce and PKCE challenge for every login (no replayable or guessable values)', async () => {
      const client = await setup();
      const a = params((await startLogin(client)).location);
      const b = params((await startLogin(new AppClient(app!.url))).location);
      const c = params((await startLogin(client)).location);
      for (const name of ['state', 'nonce', 'code_challenge']) {
        assert.equal(new Set([a.get(name), b.get(name), c.get(name)]).size, 3, `${name} differs between logins`);
      }
      assert.notEqual(a.get('state'), a.get('nonce'));
    });

    it('sends the configured callbackURL whatever Host or X-Forwarded-Host the request claims (host header injection)', async () => {
      const client = await setup();
      const res = await client.request('/login', {
        headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
      });
      assert.equal(res.status, 302);
      assert.equal(params(res.location).get('redirect_uri'), CALLBACK);
      assert.ok(!res.location!.includes('evil.example'));
    });
  });

  describe('authorization parameters', () => {
    it('sends the configured prompt, max_age, login_hint, fidp, acr_values, ui_locales, claims and extra parameters', async () => {
      const claims = { id_token: { email: { essential: true } } };
      const res = await authenticateWith({}, {
        prompt: 'login',
        maxAge: 300,
        loginHint: 'alice@acme.com',
        fidp: 'google',
        acrValues: ['acr1', 'acr2'],
        uiLocales: 'fr-FR en',
        claims,
        scope: 'groups',
        authorizationParams: { orgId: 'org-42', forceAuth: 'true' },
      });
      assert.equal(res.status, 302, res.body);
      const p = params(res.location);
      assert.equal(p.get('prompt'), 'login');
      assert.equal(p.get('max_age'), '300');
      assert.equal(p.get('login_hint'), 'alice@acme.com');
      assert.equal(p.get('fidp'), 'google');
      assert.equal(p.get('acr_values'), 'acr1 acr2');
      assert.equal(p.get('ui_locales'), 'fr-FR en');
      assert.deepEqual(JSON.parse(p.get('claims')!), claims);
      assert.equal(p.get('scope'), 'openid groups');
      assert.equal(p.get('orgId'), 'org-42');
      assert.equal(p.get('forceAuth'), 'true');
      assert.equal(p.get('maxAge'), null, 'camelCase names are not sent as they are');
    });

    it('sends the per-call options of passport.authenticate(name, options)', async () => {
      const res = await authenticateWith({
        prompt: 'consent',
        maxAge: 0,
        loginHint: 'bob',
        fidp: 'OrganizationSSO',
        acrValues: 'urn:acr:mfa',
        uiLocales: ['de'],
        claims: { userinfo: { given_name: null } },
        scope: ['email', 'openid', 'phone'],
        authorizationParams: { orgId: 'org-7' },
      });
      assert.equal(res.status, 302, res.body);
      const p = params(res.location);
      assert.equal(p.get('prompt'), 'consent');
      assert.equal(p.get('max_age'), '0');
      assert.equal(p.get('login_hint'), 'bob');
      assert.equal(p.get('fidp'), 'OrganizationSSO');
      assert.equal(p.get('acr_values'), 'urn:acr:mfa');
      assert.equal(p.get('ui_locales'), 'de');
      assert.deepEqual(JSON.parse(p.get('claims')!), { userinfo: { given_name: null } });
      assert.equal(p.get('orgId'), 'org-7');
    });

    it('adds openid to a per-call scope that lacks it', async () => {
      const res = await authenticateWith({ scope: 'profile groups' });
      assert.equal(res.status, 302, res.body);
      assert.deepEqual(params(res.location).get('scope')!.split(' '), ['openid', 'profile', 'groups']);
    });

    it('lets a per-call option win over the configured one, and keeps the configured ones not given per call', async () => {
      const res = await authenticateWith(
        { prompt: 'consent', loginHint: 'per-call', authorizationParams: { orgId: 'per-call' } },
        { prompt: 'login', loginHint: 'configured', fidp: 'google', authorizationParams: { orgId: 'configured' } },
      );
      assert.equal(res.status, 302, res.body);
      const p = params(res.location);
      assert.equal(p.get('prompt'), 'consent');
      assert.equal(p.get('login_hint'), 'per-call');
      assert.equal(p.get('orgId'), 'per-call');
      assert.equal(p.get('fidp'), 'google');
      assert.equal(p.getAll('prompt').length, 1);
    });

    it('ignores state, redirect_uri, nonce and client_id given as per-call options (the strategy owns them)', async () => {
      const res = await authenticateWith({
        state: 'attacker-state',
        nonce: 'attacker-nonce',
        redirect_uri: 'https://evil.example/cb',
        callbackURL: 'https://evil.example/cb',
        client_id: 'other-client',
      });
      assert.equal(res.status, 302, res.body);
      const p = params(res.location);
      assert.notEqual(p.get('state'), 'attacker-state');
      assert.notEqual(p.get('nonce'), 'attacker-nonce');
      assert.equal(p.get('redirect_uri'), CALLBACK);
      assert.equal(p.get('client_id'), is.clientId);
      assert.ok(!res.location!.includes('evil.example'));
    });

    for (const name of ['state', 'redirect_uri', 'nonce', 'code_challenge', 'response_type']) {
      it(`refuses authorizationParams.${name} per call, naming it, instead of sending an attacker's value`, async () => {
        const res = await authenticateWith({ authorizationParams: { [name]: 'https://evil.example/x' } });
        assert.equal(res.status, 500);
        const body = res.json<{ code: string; message: string }>();
        assert.equal(body.code, 'CONFIG_INVALID');
        assert.ok(body.message.includes(`authorizationParams.${name}`), body.message);
        assert.equal(res.location, null);
      });
    }

    it('refuses a configured authorizationParams.redirect_uri or state at construction', () => {
      for (const name of ['redirect_uri', 'state']) {
        assert.throws(
          () => new Wso2IsStrategy(
            { serverOrigin: 'https://is.example.test:9443', clientId: 'c', clientSecret: 's', callbackURL: CALLBACK, authorizationParams: { [name]: 'x' } },
            (_t, _p, done) => done(null, false),
          ),
          (err: Error & { code?: string }) => err.code === 'CONFIG_INVALID' && err.message.includes(`authorizationParams.${name}`),
        );
      }
    });
  });

  describe('returnTo', () => {
    it('sends the user to the returnTo path after the whole login', async () => {
      const client = await setup();
      const { location } = await startLogin(client, `/login?returnTo=${encodeURIComponent('/account?tab=keys')}`);
      const res = await client.get(callbackPath(is, location).path);
      assert.equal(res.status, 302);
      assert.equal(res.location, '/account?tab=keys');
      const me = (await client.get('/me')).json<Me>();
      assert.ok(me.user, 'the user is logged in');
    });

    it('without returnTo, lands on the application default', async () => {
      const client = await setup();
      const { location } = await startLogin(client);
      const res = await client.get(callbackPath(is, location).path);
      assert.equal(res.location, '/me');
    });

    for (const evil of ['//evil.com', '/\\evil.com', 'https://evil.com', 'javascript:alert(1)', '/\t/evil.com']) {
      it(`refuses returnTo=${JSON.stringify(evil)} with 400 RETURN_TO_REFUSED (open redirect) and stores nothing`, async () => {
        const client = await setup();
        const res = await client.get(`/login?returnTo=${encodeURIComponent(evil)}`);
        assert.equal(res.status, 400);
        assert.equal(res.json<{ code: string }>().code, 'RETURN_TO_REFUSED');
        assert.equal(res.location, null, 'no redirect to IS');
        assert.deepEqual(Object.keys(await sessions(app!.store)), [], 'no session was created');
      });
    }

    it('leaves an existing session untouched when a returnTo is refused', async () => {
      const client = await setup();
      await startLogin(client);
      const before = await onlySession(app!.store);
      const res = await client.get(`/login?returnTo=${encodeURIComponent('//evil.com')}`);
      assert.equal(res.status, 400);
      assert.equal(res.json<{ code: string }>().code, 'RETURN_TO_REFUSED');
      const after = await onlySession(app!.store);
      assert.deepEqual(after, before);
      assert.equal(after['returnTo'], undefined);
    });
  });

  describe('pending logins', () => {
    it('lets several logins started in one session (tabs) each complete, in any order', async () => {
      const client = await setup();
      const tabs = [];
      for (let i = 0; i < 3; i++) tabs.push(callbackPath(is, (await startLogin(client)).location));
      assert.equal(Object.keys(pendingOf(await onlySession(app!.store))).length, 3);
      for (const tab of [tabs[1]!, tabs[2]!, tabs[0]!]) {
        const res = await client.get(tab.path);
        assert.equal(res.status, 302, res.body);
        assert.equal(res.location, '/me', `the login of state ${tab.state} completes`);
      }
      assert.equal(is.counts.token, 3);
      assert.deepEqual(pendingOf(await onlySession(app!.store)), {}, 'every pending login was consumed');
    });

    it('keeps at most maxPendingLogins: the 6th login drops the oldest, whose callback then fails LOGIN_NOT_FOUND', async () => {
      const client = await setup({ strategy: { maxPendingLogins: 5 } });
      const tabs = [];
      for (let i = 0; i < 6; i++) tabs.push(callbackPath(is, (await startLogin(client)).location, '/cb/wso2is'));
      const pending = pendingOf(await onlySession(app!.store));
      assert.deepEqual(Object.keys(pending).sort(), tabs.slice(1).map((t) => t.state).sort());

      const oldest = await client.get(tabs[0]!.path);
      assert.equal(oldest.status, 401);
      const failure = oldest.json<Failure>();
      assert.equal(failure.outcome, 'fail');
      assert.equal(failure.info.code, 'LOGIN_NOT_FOUND');
      assert.equal(is.counts.token, 0, 'no code exchange for a dropped login');

      const newest = await client.get(tabs[5]!.path);
      assert.equal(newest.json<Failure>().outcome, 'success');
    });

    it('costs at most 512 bytes of session per pending login (sessions cannot be bloated)', async () => {
      const client = await setup();
      await startLogin(client);
      const one = Buffer.byteLength(JSON.stringify(await onlySession(app!.store)));
      for (let i = 0; i < 4; i++) await startLogin(client);
      const sess = await onlySession(app!.store);
      assert.equal(Object.keys(pendingOf(sess)).length, 5);
      const perLogin = (Buffer.byteLength(JSON.stringify(sess)) - one) / 4;
      assert.ok(perLogin > 0);
      assert.ok(perLogin <= 512, `one pending login costs ${perLogin} bytes`);
      for (const login of Object.values(pendingOf(sess))) {
        assert.ok(Buffer.byteLength(JSON.stringify(login)) <= 512);
      }
    });

    it('a login with returnTo still fits in 512 bytes', async () => {
      const client = await setup();
      await startLogin(client);
      const one = Buffer.byteLength(JSON.stringify(await onlySession(app!.store)));
      await startLogin(client, `/login?returnTo=${encodeURIComponent('/account/settings/security')}`);
      const two = Buffer.byteLength(JSON.stringify(await onlySession(app!.store)));
      assert.ok(two - one <= 512, `${two - one} bytes`);
    });
  });

  describe('discovery', () => {
    it('is lazy: constructing the strategy and the app sends nothing to IS', async () => {
      await setup();
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(is.counts, { discovery: 0, jwks: 0, token: 0, userinfo: 0 });
      assert.equal(is.connections, 0, 'not even a connection');
    });

    it('is fetched once for 20 concurrent first logins (single flight)', async () => {
      await setup();
      const results = await Promise.all(Array.from({ length: 20 }, () => new AppClient(app!.url).get('/login')));
      assert.deepEqual(results.map((r) => r.status), Array(20).fill(302));
      assert.equal(new Set(results.map((r) => params(r.location).get('state'))).size, 20);
      assert.equal(is.counts.discovery, 1);
    });

    it('once warm, the redirect sends no request to IS at all', async () => {
      const client = await setup();
      await startLogin(client);
      const warm = { ...is.counts };
      for (let i = 0; i < 5; i++) await startLogin(new AppClient(app!.url));
      assert.deepEqual(is.counts, warm);
      assert.equal(warm.discovery, 1);
    });

    it('after a failed discovery (HTTP 500), answers 502 DISCOVERY_FAILED and does not cache the failure', async () => {
      const client = await setup({ faults: (is) => is.reply('discovery', 500, { error: 'server_error' }) });
      const res = await client.get('/login');
      assert.equal(res.status, 502);
      const body = res.json<{ code: string; message: string }>();
      assert.equal(body.code, 'DISCOVERY_FAILED');
      assert.ok(body.message.includes(`${is.origin}${DISCOVERY_PATH}`), body.message);
      assert.equal(res.location, null);

      const retry = await client.get('/login');
      assert.equal(retry.status, 302, retry.body);
      assert.equal(is.counts.discovery, 2, 'the second login fetched discovery again');
    });

    it('after a discovery answer that is not JSON, answers 502 DISCOVERY_FAILED and retries next time', async () => {
      const client = await setup({
        faults: (is) => is.reply('discovery', 200, '<html>Proxy login</html>', { headers: { 'content-type': 'text/html' } }),
      });
      const res = await client.get('/login');
      assert.equal(res.status, 502);
      assert.equal(res.json<{ code: string }>().code, 'DISCOVERY_FAILED');
      const retry = await client.get('/login');
      assert.equal(retry.status, 302, retry.body);
    });

    it('when IS refuses the connection, answers IS_UNREACHABLE naming the URL', async () => {
      const client = await setup();
      await is.down();
      const res = await client.get('/login');
      assert.equal(res.status, 502);
      const body = res.json<{ code: string; message: string }>();
      assert.equal(body.code, 'IS_UNREACHABLE');
      assert.ok(body.message.includes(`${is.origin}${DISCOVERY_PATH}`), body.message);
      assert.ok(body.message.includes('ECONNREFUSED'), body.message);
      await is.up();
      const retry = await client.get('/login');
      assert.equal(retry.status, 302, 'IS is back: the next login works');
    });

    it('when IS does not answer within `timeout`, answers IS_UNREACHABLE naming the option', async () => {
      const client = await setup({
        strategy: { timeout: 300 },
        faults: (is) => is.reply('discovery', 200, {}, { delayMs: 3000 }),
      });
      const started = Date.now();
      const res = await client.get('/login');
      const elapsed = Date.now() - started;
      assert.equal(res.json<{ code: string }>().code, 'IS_UNREACHABLE');
      assert.equal(res.status, 504);
      const message = res.json<{ message: string }>().message;
      assert.ok(message.includes('`timeout`'), message);
      assert.ok(message.includes(`${is.origin}${DISCOVERY_PATH}`), message);
      assert.ok(elapsed < 2500, `gave up after ${elapsed} ms`);
    });

    // Regression: openid-client counts its timeout in whole seconds, so `timeout: 300` used to wait 1 s and
    // accept an IS answering after 700 ms.
    it('gives up after `timeout` milliseconds, not after the next whole second', async () => {
      const client = await setup({
        strategy: { timeout: 300 },
        faults: (is) => is.override('discovery', () => ({ status: 200, body: is.discoveryDocument(), delayMs: 700 })),
      });
      const res = await client.get('/login');
      assert.equal(res.status, 504);
      assert.equal(res.json<{ code: string }>().code, 'IS_UNREACHABLE');
    });

    it('refuses a discovery document naming another issuer with ISSUER_MISMATCH naming both and the `issuer` option', async () => {
      const other = 'https://proxy.example.test/oauth2/token';
      const client = await setup({ is: { issuer: other } });
      const res = await client.get('/login');
      assert.equal(res.status, 502);
      const body = res.json<{ code: string; message: string }>();
      assert.equal(body.code, 'ISSUER_MISMATCH');
      assert.ok(body.message.includes(other), body.message);
      assert.ok(body.message.includes(`${is.origin}/oauth2/token`), body.message);
      assert.ok(body.message.includes('`issuer'), body.message);
      assert.equal(res.location, null);
    });

    it('accepts that other issuer when it is configured with `issuer`', async () => {
      const other = 'https://proxy.example.test/oauth2/token';
      const client = await setup({ is: { issuer: other }, strategy: (is) => ({ issuer: other, discoveryURL: `${is.origin}${DISCOVERY_PATH}` }) });
      const { location } = await startLogin(client);
      const res = await client.get(callbackPath(is, location).path);
      assert.equal(res.location, '/me');
    });

    it('IS 5.x legacy tenant (super tenant issuer for a tenant): ISSUER_MISMATCH pointing at `legacyTenantIssuer`', async () => {
      const client = await setup({ is: { tenantPath: '/t/acme.com', issuer: (origin) => `${origin}/oauth2/token` }, strategy: { tenant: 'acme.com' } });
      const res = await client.get('/login');
      assert.equal(res.status, 502);
      const body = res.json<{ code: string; message: string }>();
      assert.equal(body.code, 'ISSUER_MISMATCH');
      assert.ok(body.message.includes('legacyTenantIssuer'), body.message);
      assert.ok(body.message.includes(`${is.origin}/t/acme.com/oauth2/token`), body.message);
    });

    it('IS 5.x legacy tenant with `legacyTenantIssuer: true`: a full login succeeds', async () => {
      const client = await setup({
        is: { tenantPath: '/t/acme.com', issuer: (origin) => `${origin}/oauth2/token` },
        strategy: { tenant: 'acme.com', legacyTenantIssuer: true },
      });
      const { location } = await startLogin(client);
      assert.ok(location.startsWith(`${is.origin}/t/acme.com/oauth2/authorize?`), location);
      const res = await client.get(callbackPath(is, location).path);
      assert.equal(res.status, 302, res.body);
      assert.equal(res.location, '/me');
      const me = (await client.get('/me')).json<Me>();
      assert.ok(me.user);
      assert.ok(me.tokens['wso2is']?.idToken);
    });

    it('`legacyTenantIssuer` does not accept an unrelated issuer', async () => {
      const client = await setup({
        is: { tenantPath: '/t/acme.com', issuer: 'https://evil.example.test/oauth2/token' },
        strategy: { tenant: 'acme.com', legacyTenantIssuer: true },
      });
      const res = await client.get('/login');
      assert.equal(res.json<{ code: string }>().code, 'ISSUER_MISMATCH');
    });

    it('`discovery: false` sends no discovery request and uses WSO2\'s tenant endpoint layout', async () => {
      const client = await setup({ is: { tenantPath: '/t/acme.com' }, strategy: { tenant: 'acme.com', discovery: false } });
      const { location } = await startLogin(client);
      const url = new URL(location);
      assert.equal(`${url.origin}${url.pathname}`, `${is.origin}/t/acme.com/oauth2/authorize`);
      const res = await client.get(callbackPath(is, location).path);
      assert.equal(res.location, '/me', 'token, JWKS and userinfo at the default layout work too');
      assert.equal(is.counts.discovery, 0);
      assert.equal(is.counts.token, 1);
    });

    it('endpoint overrides win over discovery', async () => {
      const client = await setup({ strategy: { endpoints: { authorization: 'https://sso.example.test/custom/authorize' } } });
      const { location } = await startLogin(client);
      const url = new URL(location);
      assert.equal(`${url.origin}${url.pathname}`, 'https://sso.example.test/custom/authorize');
      assert.equal(url.searchParams.get('client_id'), is.clientId);
      assert.equal(is.counts.discovery, 1);
    });

    it('endpoint overrides win over the default layout with `discovery: false`', async () => {
      const client = await setup({ strategy: { discovery: false, endpoints: { authorization: 'https://sso.example.test/authz' } } });
      const { location } = await startLogin(client);
      assert.ok(location.startsWith('https://sso.example.test/authz?'), location);
      assert.equal(is.counts.discovery, 0);
    });
  });

  it('without session middleware, fails with SESSION_REQUIRED (instead of a login that can never complete)', async () => {
    is = await new FakeIs().start();
    strategy = strategyFor(is);
    custom = await startCustomApp(strategy, false);
    const res = await new AppClient(custom.url).get('/go');
    assert.equal(res.status, 500);
    const body = res.json<{ code: string; message: string }>();
    assert.equal(body.code, 'SESSION_REQUIRED');
    assert.ok(body.message.includes('express-session'), body.message);
    assert.equal(res.location, null);
  });
});
