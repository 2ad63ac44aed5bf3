/**
 * What the strategy writes to its debug log (`DEBUG=passport-wso2is:*`) and to error messages: the course of a login
 * and why it failed, never a token, an authorization code, a PKCE verifier or the client secret.
 */
import assert from 'node:assert/strict';
import { format } from 'node:util';
import createDebug from 'debug';
import * as jose from 'jose';
import { Wso2IsStrategy } from '../lib/index.js';
import { FakeIs } from './support/fake-is.js';
import { AppClient, startApp, type TestApp } from './support/app.js';

describe('logging: no secret in the debug log or in error messages', () => {
  let is: FakeIs;
  let app: TestApp;
  let strategy: Wso2IsStrategy;
  const lines: string[] = [];
  const originalLog = createDebug.log;
  let enabled: string;

  before(async () => {
    enabled = createDebug.disable();
    createDebug.enable('passport-wso2is:*');
    createDebug.log = (...args: unknown[]) => {
      lines.push(format(...args));
    };
    is = await new FakeIs({ clientSecret: 'the-client-secret-value' }).start();
    strategy = new Wso2IsStrategy({ ...is.strategyOptions(), callbackURL: 'http://127.0.0.1/login', name: 'logged' }, (_t, p, done) => done(null, { id: p.id }));
    app = await startApp([strategy]);
  });

  after(async () => {
    createDebug.log = originalLog;
    createDebug.disable();
    if (enabled) createDebug.enable(enabled);
    await app.close();
    await strategy.close();
    await is.close();
  });

  it('a login, a refused replay and a failed token request log their course but none of their secrets', async () => {
    const client = new AppClient(app.url);
    const secrets: string[] = [is.clientSecret];

    const start = await client.get('/cb/logged');
    const { code, state } = is.authorize(start.location!);
    secrets.push(code);
    const res = await client.get(`/cb/logged?code=${code}&state=${state}`);
    assert.equal(res.json<{ outcome: string }>().outcome, 'success');
    const tokens = (await client.get('/me')).json<{ tokens: { logged: { accessToken: string; idToken: string; refreshToken: string } } }>().tokens.logged;
    secrets.push(tokens.accessToken, tokens.idToken, tokens.refreshToken, String(jose.decodeJwt(tokens.idToken)['nonce']));
    secrets.push(is.lastTokenRequest!.body.get('code_verifier')!);

    const replay = await client.get(`/cb/logged?code=${code}&state=${state}`);
    const second = await client.get('/cb/logged');
    const unknown = await client.get(`/cb/logged?code=not-a-real-code-12345&state=${new URL(second.location!).searchParams.get('state')}`);
    secrets.push('not-a-real-code-12345');

    assert.ok(lines.some((l) => /login started/.test(l)) && lines.some((l) => /login completed/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /login refused: LOGIN_NOT_FOUND/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /login refused: INVALID_GRANT/.test(l)));
    const written = [...lines, replay.body, unknown.body].join('\n');
    for (const secret of secrets) {
      assert.ok(secret.length >= 8, 'a real secret');
      assert.ok(!written.includes(secret), `a secret appears in the log or an answer: ${secret.slice(0, 6)}...`);
    }
  });
});
