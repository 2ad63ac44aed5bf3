/**
 * The verify callback: what it receives, every way it can answer (done, promise, throw, refuse), and what the
 * application then observes; two strategies side by side; the session across the login (fixation).
 */
import assert from 'node:assert/strict';
import type { Request } from 'express';
import type session from 'express-session';
import * as jose from 'jose';
import {
  Wso2IsStrategy,
  type VerifyCallback,
  type VerifyFunction,
  type Wso2IsOptions,
  type Wso2IsProfile,
  type Wso2IsTokens,
} from '../lib/index.js';
import { FakeIs } from './support/fake-is.js';
import { AppClient, startApp, type TestApp } from './support/app.js';

const CALLBACK = 'http://127.0.0.1/login';
const SUB = 'c5f0a7a2-3b7e-4a51-9d3c-2f1f6f0b9a11';

type Outcome = { outcome: string; user?: { id: string }; info: { code?: string; message?: string } };
type Me = { user: { id: string; from?: string } | null; tokens: Record<string, { idToken: string; accessToken: string } | null>; sessionID: string };

function sessions(store: session.MemoryStore): Promise<Record<string, Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    store.all((err, all) => (err ? reject(err as Error) : resolve((all ?? {}) as unknown as Record<string, Record<string, unknown>>)));
  });
}

function baseOptions(is: FakeIs, extra: Partial<Wso2IsOptions> = {}): Wso2IsOptions & { passReqToCallback: false } {
  return { ...is.strategyOptions(), callbackURL: CALLBACK, ...extra, passReqToCallback: false };
}

describe('verify callback', () => {
  let is: FakeIs;
  let app: TestApp | undefined;
  let strategies: Wso2IsStrategy[] = [];

  beforeEach(async () => {
    is = await new FakeIs().start();
  });

  afterEach(async () => {
    await app?.close();
    for (const s of strategies) await s.close();
    app = undefined;
    strategies = [];
    await is.close();
  });

  async function appWith(...list: Wso2IsStrategy[]): Promise<AppClient> {
    strategies = list;
    app = await startApp(list);
    return new AppClient(app.url);
  }

  async function withVerify(verify: VerifyFunction, extra: Partial<Wso2IsOptions> = {}): Promise<AppClient> {
    return appWith(new Wso2IsStrategy({ ...baseOptions(is, extra), passReqToCallback: false }, verify));
  }

  /** Starts a login at `path`, plays IS, and returns the callback to hit at `callback`. */
  async function begin(client: AppClient, fake = is, path = '/login', callback = path): Promise<{ state: string; nonce: string; callback: string }> {
    const res = await client.get(path);
    assert.equal(res.status, 302, res.body);
    const { code, state, nonce } = fake.authorize(res.location!);
    return { state, nonce, callback: `${callback}?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}` };
  }

  async function me(client: AppClient): Promise<Me> {
    return (await client.get('/me')).json<Me>();
  }

  describe('arguments', () => {
    it('receives the tokens (expiresAt in seconds) and the profile (id = sub, provider wso2is)', async () => {
      let seen: { tokens: Wso2IsTokens; profile: Wso2IsProfile; args: number } | undefined;
      const client = await withVerify(function (tokens, profile, done) {
        seen = { tokens, profile, args: arguments.length };
        done(null, { id: profile.id });
      });
      const { nonce, callback } = await begin(client);
      const res = await client.get(callback);
      assert.equal(res.location, '/me', res.body);
      assert.ok(seen);
      const { tokens, profile } = seen;
      assert.equal(seen.args, 3);
      const now = Math.floor(Date.now() / 1000);
      assert.equal(typeof tokens.accessToken, 'string');
      assert.equal(tokens.tokenType.toLowerCase(), 'bearer');
      assert.equal(typeof tokens.refreshToken, 'string');
      assert.equal(jose.decodeJwt(tokens.idToken).sub, SUB);
      assert.ok(tokens.expiresAt !== undefined && Math.abs(tokens.expiresAt - (now + 3600)) <= 5, `expiresAt ${tokens.expiresAt}, now ${now}`);
      assert.equal(tokens.scope, 'openid profile email');
      assert.equal(tokens.claims.sub, SUB);
      assert.equal(tokens.claims.nonce, nonce);
      assert.equal(tokens.claims.iss, is.issuer);
      assert.equal(profile.id, SUB);
      assert.equal(profile.provider, 'wso2is');

      const stored = (await me(client)).tokens['wso2is'];
      assert.equal(stored?.accessToken, tokens.accessToken, 'the session keeps the tokens verify saw');
      assert.equal(stored?.idToken, tokens.idToken);
    });

    it('with passReqToCallback: true, receives the real request first', async () => {
      let seen: { req: Request; tokens: Wso2IsTokens; profile: Wso2IsProfile } | undefined;
      const client = await appWith(new Wso2IsStrategy({ ...baseOptions(is), passReqToCallback: true }, (req, tokens, profile, done) => {
        seen = { req, tokens, profile };
        done(null, { id: profile.id, from: String(req.headers['x-app-tenant']) });
      }));
      const { callback } = await begin(client);
      const res = await client.request(callback, { headers: { 'x-app-tenant': 'blue' } });
      assert.equal(res.location, '/me', res.body);
      assert.ok(seen);
      assert.equal(seen.req.originalUrl, callback);
      assert.equal(seen.req.headers['x-app-tenant'], 'blue');
      assert.equal(typeof seen.req.session, 'object');
      assert.equal(jose.decodeJwt(seen.tokens.idToken).sub, SUB);
      assert.equal(seen.profile.id, SUB);
      assert.equal((await me(client)).user?.from, 'blue');
    });

    it('a wrapped verify (fn.length 0) is still called as (tokens, profile, done): no dispatch on fn.length', async () => {
      const inner: VerifyFunction = (tokens, profile, done) => done(null, { id: `${profile.id}|${tokens.scope ?? ''}` });
      const wrapped = ((...args: Parameters<VerifyFunction>) => inner(...args)) as VerifyFunction;
      assert.equal(wrapped.length, 0);
      const client = await withVerify(wrapped);
      const res = await client.get((await begin(client)).callback);
      assert.equal(res.location, '/me', res.body);
      assert.equal((await me(client)).user?.id, `${SUB}|openid profile email`);
    });

    it('a verify with a defaulted parameter (fn.length 2) is still called as (tokens, profile, done)', async () => {
      const client = await withVerify((tokens, profile, done: VerifyCallback = () => undefined) => done(null, { id: profile.id }));
      const res = await client.get((await begin(client)).callback);
      assert.equal(res.location, '/me', res.body);
      assert.equal((await me(client)).user?.id, SUB);
    });

    it('a wrapped verify with passReqToCallback: true still gets the request first', async () => {
      const client = await appWith(new Wso2IsStrategy(
        { ...baseOptions(is), passReqToCallback: true },
        (...args: [Request, Wso2IsTokens, Wso2IsProfile, VerifyCallback]) => {
          const [req, , profile, done] = args;
          done(null, { id: profile.id, from: req.method });
        },
      ));
      const res = await client.get((await begin(client)).callback);
      assert.equal(res.location, '/me', res.body);
      assert.deepEqual((await me(client)).user, { id: SUB, from: 'GET' });
    });
  });

  describe('answers', () => {
    it('an async verify returning the user logs the user in', async () => {
      const client = await withVerify(async (_tokens, profile) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { id: `db:${profile.id}` };
      });
      const res = await client.get((await begin(client)).callback);
      assert.equal(res.location, '/me', res.body);
      assert.equal((await me(client)).user?.id, `db:${SUB}`);
    });

    it('an async verify that calls done later (returns undefined) logs the user in', async () => {
      const client = await withVerify(async (_tokens, profile, done) => {
        setTimeout(() => done(null, { id: profile.id }), 5);
      });
      const res = await client.get((await begin(client)).callback);
      assert.equal(res.location, '/me', res.body);
      assert.equal((await me(client)).user?.id, SUB);
    });

    it('an async verify that rejects ends in an error (500) and no login', async () => {
      const client = await withVerify(async () => {
        throw new Error('database down');
      });
      const res = await client.get((await begin(client)).callback);
      assert.equal(res.status, 500);
      assert.equal(res.json<{ message: string }>().message, 'database down');
      const after = await me(client);
      assert.equal(after.user, null);
      assert.equal(after.tokens['wso2is'], null, 'no tokens kept for a failed login');
    });

    it('a verify that throws ends in an error (500) and no login', async () => {
      const client = await withVerify(() => {
        throw new Error('bug in verify');
      });
      const res = await client.get((await begin(client)).callback);
      assert.equal(res.status, 500);
      assert.equal(res.json<{ message: string }>().message, 'bug in verify');
      assert.equal((await me(client)).user, null);
    });

    it('done(err) ends in an error (500) and no login', async () => {
      const client = await withVerify((_t, _p, done) => done(new Error('lookup failed')));
      const res = await client.get((await begin(client)).callback);
      assert.equal(res.status, 500);
      assert.equal(res.json<{ message: string }>().message, 'lookup failed');
      assert.equal((await me(client)).user, null);
    });

    it('done(null, false, { message }) refuses the login with USER_REJECTED and that message', async () => {
      const client = await withVerify((_t, _p, done) => done(null, false, { message: 'not allowed' }));
      const { callback } = await begin(client, is, '/login', '/cb/wso2is');
      const res = await client.get(callback);
      assert.equal(res.status, 401);
      const body = res.json<Outcome>();
      assert.equal(body.outcome, 'fail');
      assert.equal(body.info.code, 'USER_REJECTED');
      assert.equal(body.info.message, 'not allowed');
    });

    it('a refused user lands on failureRedirect with the message, and is not logged in', async () => {
      const client = await withVerify((_t, _p, done) => done(null, false, { message: 'not allowed' }));
      const res = await client.get((await begin(client)).callback);
      assert.equal(res.status, 302);
      assert.equal(res.location, '/failed');
      assert.deepEqual((await client.get('/failed')).json<{ messages: string[] }>().messages, ['not allowed']);
      const after = await me(client);
      assert.equal(after.user, null);
      assert.equal(after.tokens['wso2is'], null);
    });

    it('an async verify resolving to false refuses with USER_REJECTED', async () => {
      const client = await withVerify(async () => false);
      const { callback } = await begin(client, is, '/login', '/cb/wso2is');
      const body = (await client.get(callback)).json<Outcome>();
      assert.equal(body.outcome, 'fail');
      assert.equal(body.info.code, 'USER_REJECTED');
    });

    it('done called twice: the second call has no effect (no second user, no late error)', async () => {
      const client = await withVerify((_t, profile, done) => {
        done(null, { id: profile.id });
        done(null, { id: 'someone-else' });
        done(new Error('late error'));
      });
      const res = await client.get((await begin(client)).callback);
      assert.equal(res.status, 302);
      assert.equal(res.location, '/me');
      assert.equal((await me(client)).user?.id, SUB);
    });

    it('an async verify that calls done and also resolves to another user: the first answer wins', async () => {
      const client = await withVerify(async (_t, profile, done) => {
        done(null, { id: profile.id });
        return { id: 'someone-else' };
      });
      const res = await client.get((await begin(client)).callback);
      assert.equal(res.location, '/me');
      assert.equal((await me(client)).user?.id, SUB);
    });

    it('done(null, false) then done(null, user): the refusal stands', async () => {
      const client = await withVerify((_t, profile, done) => {
        done(null, false, { message: 'not allowed' });
        done(null, { id: profile.id });
      });
      const res = await client.get((await begin(client)).callback);
      assert.equal(res.location, '/failed');
      assert.equal((await me(client)).user, null);
    });
  });

  describe('two strategies side by side (two tenants)', () => {
    let a: FakeIs;
    let b: FakeIs;
    let sa: Wso2IsStrategy;
    let sb: Wso2IsStrategy;

    afterEach(async () => {
      await b?.close();
      await a?.close();
    });

    /** One IS (one server) with two tenants, and a strategy for each. */
    async function twoTenants(): Promise<AppClient> {
      a = await new FakeIs({ tenantPath: '/t/a.com', clientId: 'client-a', clientSecret: 'secret-a' }).start();
      b = await new FakeIs({ tenantPath: '/t/b.com', clientId: 'client-b', clientSecret: 'secret-b', server: a }).start();
      const verify: VerifyFunction = (_t, profile, done) => done(null, { id: profile.id, tenant: profile.tenant ?? null });
      sa = new Wso2IsStrategy({ ...baseOptions(a), tenant: 'a.com', name: 'tenant-a', callbackURL: `${CALLBACK}/tenant-a` }, verify);
      sb = new Wso2IsStrategy({ ...baseOptions(b), tenant: 'b.com', name: 'tenant-b', callbackURL: `${CALLBACK}/tenant-b` }, verify);
      return appWith(sa, sb);
    }

    it('each logs in against its own tenant and gets its own tokens', async () => {
      const client = await twoTenants();
      const loginA = await begin(client, a, '/login/tenant-a');
      assert.equal((await client.get(loginA.callback)).location, '/me');
      let state = await me(client);
      assert.equal(jose.decodeJwt(state.tokens['tenant-a']!.idToken).iss, a.issuer);
      assert.equal(state.tokens['tenant-b'], null, 'B has no tokens before its login');

      const loginB = await begin(client, b, '/login/tenant-b');
      assert.equal((await client.get(loginB.callback)).location, '/me');
      state = await me(client);
      assert.equal(jose.decodeJwt(state.tokens['tenant-b']!.idToken).iss, b.issuer);
      assert.equal(jose.decodeJwt(state.tokens['tenant-b']!.idToken).aud, 'client-b');
      assert.deepEqual(
        { a: a.counts.token, b: b.counts.token },
        { a: 1, b: 1 },
        'each code went to its own tenant',
      );
    });

    // Regression: carryAcrossRegeneration (lib/session.ts) used to carry only the namespace of the strategy that logs in
    // across passport's session regeneration. Logging in with tenant B therefore erases tenant A's tokens
    // (needed for A's logout id_token_hint and API calls) from the session: /me shows tokens['tenant-a'] = null.
    it('logging in with tenant B keeps tenant A\'s tokens', async () => {
      const client = await twoTenants();
      await client.get((await begin(client, a, '/login/tenant-a')).callback);
      const tokensA = (await me(client)).tokens['tenant-a'];
      assert.ok(tokensA);
      await client.get((await begin(client, b, '/login/tenant-b')).callback);
      const after = await me(client);
      assert.deepEqual(after.tokens['tenant-a'], tokensA);
      assert.ok(after.tokens['tenant-b']);
    });

    // Regression, same cause: a tab's pending login for tenant A is erased when another tab's tenant B login completes,
    // so tab A's callback fails LOGIN_NOT_FOUND ("no login is pending in this session").
    it('a pending login of tenant A survives the completion of a tenant B login (tabs)', async () => {
      const client = await twoTenants();
      const tabA = await begin(client, a, '/login/tenant-a');
      const tabB = await begin(client, b, '/login/tenant-b');
      assert.equal((await client.get(tabB.callback)).location, '/me');
      const res = await client.get(tabA.callback);
      assert.equal(res.location, '/me', res.body);
      assert.equal(jose.decodeJwt((await me(client)).tokens['tenant-a']!.idToken).iss, a.issuer);
    });

    it('tenant A\'s state at tenant B\'s callback fails LOGIN_NOT_FOUND (no cross-tenant mix-up)', async () => {
      const client = await twoTenants();
      const loginA = await begin(client, a, '/login/tenant-a', '/cb/tenant-b');
      const res = await client.get(loginA.callback);
      assert.equal(res.status, 401);
      const body = res.json<Outcome>();
      assert.equal(body.outcome, 'fail');
      assert.equal(body.info.code, 'LOGIN_NOT_FOUND');
      assert.deepEqual({ a: a.counts.token, b: b.counts.token }, { a: 0, b: 0 }, 'the code was sent to no token endpoint');

      const atA = await client.get(loginA.callback.replace('/cb/tenant-b', '/cb/tenant-a'));
      assert.equal(atA.json<Outcome>().outcome, 'success', 'A\'s own login is still pending at A');
    });
  });

  describe('session fixation', () => {
    it('changes the session id at login, while the tokens and another tab\'s pending login survive', async () => {
      const client = await withVerify((_t, profile, done) => done(null, { id: profile.id }));
      const tab1 = await begin(client);
      const tab2 = await begin(client);
      const before = Object.keys(await sessions(app!.store));
      assert.equal(before.length, 1);
      const oldId = before[0]!;

      assert.equal((await client.get(tab1.callback)).location, '/me');
      const after = Object.keys(await sessions(app!.store));
      assert.equal(after.length, 1);
      assert.notEqual(after[0], oldId, 'a new session id after login');
      assert.ok(!after.includes(oldId), 'the pre-login session id (which an attacker may have planted) is gone');
      const state = await me(client);
      assert.equal(state.sessionID, after[0]);
      assert.equal(state.user?.id, SUB);
      const firstTokens = state.tokens['wso2is'];
      assert.ok(firstTokens?.accessToken, 'tokens survived the regeneration');

      const res = await client.get(tab2.callback);
      assert.equal(res.location, '/me', `the other tab's login still completes: ${res.body}`);
      const last = await me(client);
      assert.ok(last.tokens['wso2is']?.accessToken);
      assert.notEqual(last.tokens['wso2is']?.accessToken, firstTokens.accessToken, 'the second login\'s tokens replace the first');
    });

    it('keeps returnTo across the regeneration', async () => {
      const client = await withVerify((_t, profile, done) => done(null, { id: profile.id }));
      const { callback } = await begin(client, is, `/login?returnTo=${encodeURIComponent('/account')}`, '/login');
      const res = await client.get(callback);
      assert.equal(res.location, '/account');
    });
  });
});
