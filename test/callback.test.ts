import assert from 'node:assert/strict';
import nock from 'nock';
import * as jose from 'jose';
import { Wso2IsStrategy, type Wso2IsOptions } from '../lib/index.js';
import { FakeIs } from './support/fake-is.js';
import { AppClient, startApp, type TestApp } from './support/app.js';

const CALLBACK = 'http://127.0.0.1/login';

function strategyFor(is: FakeIs, extra: Partial<Wso2IsOptions> = {}, name = 'wso2is'): Wso2IsStrategy {
  return new Wso2IsStrategy(
    { serverOrigin: is.origin, clientId: is.clientId, clientSecret: is.clientSecret, callbackURL: CALLBACK, name, ...extra },
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

  beforeEach(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    is = await new FakeIs().start();
    strategy = strategyFor(is);
    app = await startApp([strategy]);
    client = new AppClient(app.url);
  });

  afterEach(async () => {
    await app.close();
    await strategy.close();
    nock.cleanAll();
    nock.enableNetConnect();
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
});
