import assert from 'node:assert/strict';
import * as jose from 'jose';
import { Wso2IsStrategy, type Wso2IsOptions } from '../lib/index.js';
import { FakeIs } from './support/fake-is.js';
import { AppClient, startApp, type TestApp } from './support/app.js';

const CALLBACK = 'http://127.0.0.1/login';

function strategyFor(is: FakeIs, extra: Partial<Wso2IsOptions> = {}, name = 'wso2is'): Wso2IsStrategy {
  return new Wso2IsStrategy(
    { ...is.strategyOptions(), callbackURL: CALLBACK, name, ...extra },
    (tokens, profile, done) => done(null, { id: profile.id, username: profile.username ?? null, tenant: profile.tenant ?? null }),
  );
}

/** Starts a login through the app and plays IS's authorize step: returns the callback path to hit. */
async function loginRedirect(client: AppClient, is: FakeIs, issued: Parameters<FakeIs['authorize']>[1] = {}, path = '/login') {
  const res = await client.get(path);
  assert.equal(res.status, 302);
  const location = res.location!;
  const { code, state } = is.authorize(location, issued);
  return { location, code, state, callback: `/login?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}` };
}

describe('callback', () => {
  let is: FakeIs;
  let app: TestApp;
  let strategy: Wso2IsStrategy;
  let client: AppClient;

  /** FakeIs servers a test starts besides `is`; closed after it. */
  const extra: FakeIs[] = [];
  async function anotherIs(options: ConstructorParameters<typeof FakeIs>[0]): Promise<FakeIs> {
    const other = await new FakeIs(options).start();
    extra.push(other);
    return other;
  }

  beforeEach(async () => {
    is = await new FakeIs().start();
    strategy = strategyFor(is);
    app = await startApp([strategy]);
    client = new AppClient(app.url);
  });

  afterEach(async () => {
    await app.close();
    await strategy.close();
    await is.close();
    await Promise.all(extra.splice(0).map((other) => other.close()));
  });

  it('logs the user in with a verified ID token and keeps the tokens in the session', async () => {
    const { callback } = await loginRedirect(client, is, { claims: { sub: 'admin@carbon.super', username: 'admin' } });
    const res = await client.get(callback);
    assert.equal(res.status, 302);
    assert.equal(res.location, '/me');
    const me = (await client.get('/me')).json<{ user: { id: string; username: string }; tokens: Record<string, { idToken: string; accessToken: string }> }>();
    assert.equal(me.user.id, 'admin@carbon.super');
    assert.equal(me.user.username, 'admin');
    const tokens = me.tokens['wso2is']!;
    assert.equal(jose.decodeJwt(tokens.idToken).sub, 'admin@carbon.super');
    assert.ok(tokens.accessToken);
    assert.deepEqual(is.counts, { discovery: 1, jwks: 1, token: 1, userinfo: 1 });
  });

  it('accepts a separate callback route (the callback URL need not be the login URL)', async () => {
    const separate = strategyFor(is, { callbackURL: 'http://127.0.0.1/cb/separate' }, 'separate');
    const other = await startApp([separate]);
    try {
      const c = new AppClient(other.url);
      const start = await c.get('/cb/separate');
      assert.equal(new URL(start.location!).searchParams.get('redirect_uri'), 'http://127.0.0.1/cb/separate');
      const { code, state } = is.authorize(start.location!);
      const res = await c.get(`/cb/separate?code=${code}&state=${state}`);
      assert.equal(res.json<{ outcome: string }>().outcome, 'success');
    } finally {
      await other.close();
      await separate.close();
    }
  });

  it('sends the token request IS expects: identical redirect_uri, code_verifier, credentials only in the Basic header', async () => {
    const { callback } = await loginRedirect(client, is);
    await client.get(callback);
    const sent = is.lastTokenRequest!;
    assert.equal(sent.body.get('grant_type'), 'authorization_code');
    assert.equal(sent.body.get('redirect_uri'), CALLBACK);
    assert.match(sent.body.get('code_verifier') ?? '', /^[A-Za-z0-9_-]{43,128}$/);
    assert.equal(sent.body.has('client_secret'), false);
    assert.equal(sent.headers['authorization'], `Basic ${Buffer.from(`${is.clientId}:${is.clientSecret}`).toString('base64')}`);
  });

  it('sends a secret with special characters in Basic unencoded, as IS reads it', async () => {
    const special = await anotherIs({ clientSecret: 'a+b/c=d%e' });
    const s = strategyFor(special, {}, 'special');
    const other = await startApp([s]);
    try {
      const c = new AppClient(other.url);
      const { callback } = await loginRedirect(c, special);
      const res = await c.get(callback);
      assert.equal(res.location, '/me');
    } finally {
      await other.close();
      await s.close();
    }
  });

  it('with client_secret_post sends the credentials only in the body', async () => {
    const post = strategyFor(is, { tokenEndpointAuthMethod: 'client_secret_post' }, 'post');
    const other = await startApp([post]);
    try {
      const c = new AppClient(other.url);
      const { callback } = await loginRedirect(c, is);
      assert.equal((await c.get(callback)).location, '/me');
      assert.equal(is.lastTokenRequest!.headers['authorization'], undefined);
      assert.equal(is.lastTokenRequest!.body.get('client_secret'), is.clientSecret);
    } finally {
      await other.close();
      await post.close();
    }
  });

  describe('response_mode=form_post', () => {
    for (const bodyParser of [false, true]) {
      it(`reads the POSTed response ${bodyParser ? 'after express.urlencoded()' : 'without any body parser'}`, async () => {
        const fp = strategyFor(is, { responseMode: 'form_post' }, 'fp');
        const other = await startApp([fp], { bodyParser });
        try {
          const c = new AppClient(other.url);
          const start = await c.get('/login');
          assert.equal(new URL(start.location!).searchParams.get('response_mode'), 'form_post');
          const { code, state } = is.authorize(start.location!);
          const res = await c.request('/login', { form: { code, state, session_state: 'abc' } });
          assert.equal(res.status, 302);
          assert.equal(res.location, '/me');
        } finally {
          await other.close();
          await fp.close();
        }
      });
    }

    it('refuses a POSTed response that repeats a parameter, parsed or not', async () => {
      for (const bodyParser of [false, true]) {
        const other = await startApp([strategy], { bodyParser });
        try {
          const c = new AppClient(other.url);
          const start = await c.get('/cb/wso2is');
          const { code, state } = is.authorize(start.location!);
          const res = await c.request('/cb/wso2is', { body: `code=${code}&code=other&state=${state}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
          const body = res.json<{ outcome: string; info: { code: string } }>();
          assert.equal(body.outcome, 'fail');
          assert.equal(body.info.code, 'DUPLICATE_PARAMETER');
        } finally {
          await other.close();
        }
      }
      assert.equal(is.counts.token, 0);
    });
  });

  describe('state: CSRF and replay protection', () => {
    async function cb(path: string) {
      const res = await client.get(path);
      return res.json<{ outcome: string; info: { code: string; message: string; error?: string; error_description?: string } }>();
    }

    it('refuses a response without state', async () => {
      const start = await client.get('/cb/wso2is');
      const { code } = is.authorize(start.location!);
      const body = await cb(`/cb/wso2is?code=${code}`);
      assert.equal(body.outcome, 'fail');
      assert.equal(body.info.code, 'STATE_MISSING');
      assert.equal(is.counts.token, 0);
    });

    it('refuses a forged state and lists the usual causes, without a token request', async () => {
      await client.get('/cb/wso2is');
      const body = await cb('/cb/wso2is?code=stolen-code&state=forged');
      assert.equal(body.info.code, 'LOGIN_NOT_FOUND');
      assert.match(body.info.message, /1 other login\(s\) are pending/);
      assert.match(body.info.message, /session cookie was not sent back/);
      assert.match(body.info.message, /session store is not shared/);
      assert.match(body.info.message, /opened directly/);
      assert.equal(is.counts.token, 0);
    });

    it('refuses a callback in a browser that did not start the login (login CSRF, dropped cookie)', async () => {
      const start = await client.get('/cb/wso2is');
      const { code, state } = is.authorize(start.location!);
      const victim = new AppClient(app.url);
      const res = await victim.get(`/cb/wso2is?code=${code}&state=${state}`);
      const body = res.json<{ info: { code: string; message: string } }>();
      assert.equal(body.info.code, 'LOGIN_NOT_FOUND');
      assert.match(body.info.message, /no login is pending/);
      assert.equal(is.counts.token, 0);
    });

    it('consumes the state before the token request: a replayed callback fails and reaches IS no more', async () => {
      const { callback } = await loginRedirect(client, is, {}, '/cb/wso2is');
      const path = callback.replace('/login', '/cb/wso2is');
      assert.equal((await cb(path)).outcome, 'success');
      const replay = await cb(path);
      assert.equal(replay.info.code, 'LOGIN_NOT_FOUND');
      assert.equal(is.counts.token, 1);
    });

    it('refuses an expired login', async () => {
      const short = strategyFor(is, { pendingLoginTTL: 10 }, 'short');
      const other = await startApp([short]);
      try {
        const c = new AppClient(other.url);
        const start = await c.get('/cb/short');
        const { code, state } = is.authorize(start.location!);
        const realNow = Date.now;
        Date.now = () => realNow() + 11_000;
        let body;
        try {
          body = (await c.get(`/cb/short?code=${code}&state=${state}`)).json<{ info: { code: string; message: string } }>();
        } finally {
          Date.now = realNow;
        }
        assert.equal(body.info.code, 'LOGIN_EXPIRED');
        assert.equal(is.counts.token, 0);
      } finally {
        await other.close();
        await short.close();
      }
    });

    it('refuses repeated parameters in the query (parameter pollution)', async () => {
      const start = await client.get('/cb/wso2is');
      const { code, state } = is.authorize(start.location!);
      const body = await cb(`/cb/wso2is?code=${code}&state=${state}&state=${state}`);
      assert.equal(body.info.code, 'DUPLICATE_PARAMETER');
      assert.match(body.info.message, /"state"/);
    });

    it('refuses a response naming another issuer (mix-up attack) before any token request', async () => {
      const start = await client.get('/cb/wso2is');
      const { code, state } = is.authorize(start.location!);
      const body = await cb(`/cb/wso2is?code=${code}&state=${state}&iss=${encodeURIComponent('https://evil.example/oauth2/token')}`);
      assert.equal(body.info.code, 'ISSUER_MISMATCH');
      assert.equal(is.counts.token, 0);
    });

    it('accepts the iss parameter when it is the expected issuer', async () => {
      const start = await client.get('/cb/wso2is');
      const { code, state } = is.authorize(start.location!);
      assert.equal((await cb(`/cb/wso2is?code=${code}&state=${state}&iss=${encodeURIComponent(is.issuer)}`)).outcome, 'success');
    });
  });

  describe('errors IS sends back end in fail(), never a 500', () => {
    for (const [error, description, hint] of [
      ['access_denied', 'User denied the consent', /declined/],
      ['login_required', 'Authentication required', /cancels the login/],
      ['consent_required', 'Consent required', /approve/],
      ['invalid_request', 'PKCE is mandatory for this application', /invalid_request/],
    ] as const) {
      it(`${error}: the failure carries IS's error and description`, async () => {
        const start = await client.get('/login');
        const state = new URL(start.location!).searchParams.get('state')!;
        const res = await client.get(`/login?error=${error}&error_description=${encodeURIComponent(description)}&state=${state}`);
        assert.equal(res.status, 302);
        assert.equal(res.location, '/failed');
        const failed = (await client.get('/failed')).json<{ messages: string[] }>();
        assert.match(failed.messages[0]!, new RegExp(error));
        assert.match(failed.messages[0]!, new RegExp(description));
        assert.match(failed.messages[0]!, hint);
        assert.equal(is.counts.token, 0);
      });
    }

    it('gives the OAuth fields to a custom callback and consumes the pending login', async () => {
      const start = await client.get('/cb/wso2is');
      const state = new URL(start.location!).searchParams.get('state')!;
      const res = await client.get(`/cb/wso2is?error=access_denied&error_description=User%20denied&state=${state}`);
      const body = res.json<{ outcome: string; status: number; info: Record<string, string> }>();
      assert.deepEqual([body.outcome, body.status, body.info['code'], body.info['error'], body.info['error_description']], ['fail', 401, 'AUTHORIZATION_ERROR', 'access_denied', 'User denied']);
      const again = (await client.get(`/cb/wso2is?code=x&state=${state}`)).json<{ info: { code: string } }>();
      assert.equal(again.info.code, 'LOGIN_NOT_FOUND');
    });

    it('strips control characters from an attacker-supplied description', async () => {
      const start = await client.get('/cb/wso2is');
      const state = new URL(start.location!).searchParams.get('state')!;
      const res = await client.get(`/cb/wso2is?error=access_denied&error_description=${encodeURIComponent('a\r\nSet-Cookie: x=1')}&state=${state}`);
      assert.equal(res.json<{ info: { error_description: string } }>().info.error_description, 'a Set-Cookie: x=1');
    });
  });

  describe('token endpoint answers', () => {
    it('invalid_grant (code already used or expired) is a failure with IS\'s description', async () => {
      const start = await client.get('/cb/wso2is');
      const state = new URL(start.location!).searchParams.get('state')!;
      const res = await client.get(`/cb/wso2is?code=unknown-code&state=${state}`);
      const body = res.json<{ outcome: string; info: Record<string, string> }>();
      assert.equal(body.outcome, 'fail');
      assert.equal(body.info['code'], 'INVALID_GRANT');
      assert.match(body.info['message']!, /Invalid authorization code received from token request/);
    });

    it('invalid_client is an error naming the options to check, without the secret or the code', async () => {
      const wrong = strategyFor(is, { clientSecret: 'wrong-secret-value' }, 'wrong');
      const other = await startApp([wrong]);
      try {
        const c = new AppClient(other.url);
        const start = await c.get('/cb/wrong');
        const { code, state } = is.authorize(start.location!);
        const res = await c.get(`/cb/wrong?code=${code}&state=${state}`);
        assert.equal(res.status, 502);
        const body = res.json<{ code: string; message: string }>();
        assert.equal(body.code, 'TOKEN_REQUEST_FAILED');
        assert.match(body.message, /invalid_client/);
        assert.match(body.message, /clientSecret/);
        assert.doesNotMatch(res.body, /wrong-secret-value/);
        assert.ok(!res.body.includes(code));
      } finally {
        await other.close();
        await wrong.close();
      }
    });

    it('an IS server_error is an error (502), not a failure', async () => {
      const broken = (await anotherIs({})).reply('token', 500, { error: 'server_error', error_description: 'Internal Server Error' });
      const s = strategyFor(broken, {}, 'broken');
      const other = await startApp([s]);
      try {
        const c = new AppClient(other.url);
        const start = await c.get('/cb/broken');
        const { code, state } = broken.authorize(start.location!);
        const res = await c.get(`/cb/broken?code=${code}&state=${state}`);
        assert.equal(res.status, 502);
        assert.equal(res.json<{ code: string }>().code, 'TOKEN_REQUEST_FAILED');
        assert.equal(broken.counts.token, 1, 'the token request reached IS and got its 500');
      } finally {
        await other.close();
        await s.close();
      }
    });
  });

  describe('ID token verification', () => {
    async function loginWith(issued: Parameters<FakeIs["authorize"]>[1], path = "/cb/wso2is", c = client) {
      const start = await c.get(path);
      const { code, state } = is.authorize(start.location!, issued);
      const res = await c.get(`${path}?code=${code}&state=${state}`);
      return { status: res.status, body: res.json<{ outcome?: string; code?: string; message?: string }>() };
    }

    async function rejected(issued: Parameters<FakeIs['authorize']>[1], pattern?: RegExp) {
      const { status, body } = await loginWith(issued);
      assert.equal(status, 502, JSON.stringify(body));
      assert.equal(body.code, 'ID_TOKEN_INVALID');
      if (pattern) assert.match(body.message!, pattern);
    }

    it('refuses a token signed by another key under the published kid (forged signature)', async () => {
      const { privateKey } = await jose.generateKeyPair('RS256');
      await rejected({ signWith: { key: privateKey, alg: 'RS256', kid: is.kid } });
    });

    it('refuses alg none even though the rest of the token is right', async () => {
      await rejected({
        tokenResponse: (d) => {
          const [, payload] = String(d['id_token']).split('.');
          return { ...d, id_token: `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.` };
        },
      });
    });

    it('refuses an HMAC token signed with the client secret (algorithm confusion)', async () => {
      await rejected({ signWith: { key: new TextEncoder().encode(is.clientSecret), alg: 'HS256' } });
    });

    it('refuses another audience', async () => {
      await rejected({ claims: { aud: 'another-client', azp: 'another-client' } }, /aud/);
    });

    it('accepts an audience array holding the client with azp = client id, refuses a foreign azp', async () => {
      assert.equal((await loginWith({ claims: { aud: [is.clientId, 'api://other'] } })).body.outcome, 'success');
      await rejected({ claims: { aud: [is.clientId, 'api://other'], azp: 'api://other' } }, /azp/);
    });

    it('refuses another issuer', async () => {
      await rejected({ claims: { iss: 'https://evil.example/oauth2/token' } }, /iss/);
    });

    it('refuses a nonce that is not the one of this login (token injection)', async () => {
      await rejected({ claims: { nonce: 'another-nonce' } }, /nonce/);
    });

    it('refuses an expired token beyond the clock tolerance, accepts IS clock skew within it', async () => {
      const now = Math.floor(Date.now() / 1000);
      await rejected({ claims: { exp: now - 120, iat: now - 3720 } }, /exp/);
      assert.equal((await loginWith({ claims: { iat: now + 30, nbf: now + 30 } })).body.outcome, 'success');
      await rejected({ claims: { iat: now + 300, nbf: now + 300 } });
    });

    it('refuses a token response without an ID token', async () => {
      await rejected({ tokenResponse: (d) => ({ ...d, id_token: undefined }) });
    });

    it('refetches the JWKS once for an unknown kid after the cooldown (IS key rotation), not before', async () => {
      assert.equal((await loginWith({})).body.outcome, 'success');
      assert.equal(is.counts.jwks, 1);
      await is.rotate();
      await rejected({}, /key/);
      assert.equal(is.counts.jwks, 1, 'no refetch within the cooldown');
      const realNow = Date.now;
      Date.now = () => realNow() + 61_000;
      try {
        assert.equal((await loginWith({})).body.outcome, 'success');
      } finally {
        Date.now = realNow;
      }
      assert.equal(is.counts.jwks, 2);
    });
  });

  describe('userinfo', () => {
    it('merges the userinfo claims into the profile when the subject matches', async () => {
      let seen: Record<string, unknown> = {};
      const s = new Wso2IsStrategy(
        { ...is.strategyOptions(), callbackURL: CALLBACK, name: 'ui' },
        (_t, profile, done) => {
          seen = profile as unknown as Record<string, unknown>;
          done(null, { id: profile.id });
        },
      );
      const other = await startApp([s]);
      try {
        const c = new AppClient(other.url);
        const start = await c.get('/cb/ui');
        const { code, state } = is.authorize(start.location!, { claims: { sub: 'u-1' }, userinfo: { sub: 'u-1', email: 'alice@example.com', groups: 'admins' } });
        await c.get(`/cb/ui?code=${code}&state=${state}`);
        assert.deepEqual(seen['emails'], [{ value: 'alice@example.com' }]);
        assert.deepEqual(seen['groups'], ['admins']);
      } finally {
        await other.close();
        await s.close();
      }
    });

    it('rejects the login when userinfo answers for another user', async () => {
      const start = await client.get('/cb/wso2is');
      const { code, state } = is.authorize(start.location!, { claims: { sub: 'alice' }, userinfo: { sub: 'mallory' } });
      const res = await client.get(`/cb/wso2is?code=${code}&state=${state}`);
      assert.equal(res.status, 502);
      assert.equal(res.json<{ code: string }>().code, 'USERINFO_FAILED');
    });

    it('accepts the tenant-suffixed userinfo sub of a known IS bug, for the strategy\'s tenant only', async () => {
      const tenantIs = await anotherIs({ tenantPath: '/t/acme.com' });
      const s = strategyFor(tenantIs, { tenant: 'acme.com' }, 'acme');
      const other = await startApp([s]);
      try {
        const c = new AppClient(other.url);
        for (const [suffix, outcome] of [['@acme.com', 'success'], ['@other.com', undefined]] as const) {
          const start = await c.get('/cb/acme');
          const { code, state } = tenantIs.authorize(start.location!, { claims: { sub: 'alice' }, userinfo: { sub: `alice${suffix}` } });
          const body = (await c.get(`/cb/acme?code=${code}&state=${state}`)).json<{ outcome?: string; code?: string }>();
          assert.equal(body.outcome, outcome, JSON.stringify(body));
        }
      } finally {
        await other.close();
        await s.close();
      }
    });

    it('is not requested with userInfo: false', async () => {
      const s = strategyFor(is, { userInfo: false }, 'noui');
      const other = await startApp([s]);
      try {
        const c = new AppClient(other.url);
        const start = await c.get('/cb/noui');
        const { code, state } = is.authorize(start.location!);
        assert.equal((await c.get(`/cb/noui?code=${code}&state=${state}`)).json<{ outcome: string }>().outcome, 'success');
        assert.equal(is.counts.userinfo, 0);
        assert.equal(is.counts.token, 1);
      } finally {
        await other.close();
        await s.close();
      }
    });
  });
});
