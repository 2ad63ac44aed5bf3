/**
 * Tokens after login: refresh with IS's default (the same refresh token back) and with "renew refresh token",
 * one refresh shared by concurrent requests of a session, no refresh token, a refused refresh, and revocation.
 * Against the local identity server; a small HTTPS stand-in only for what it does not produce (a refreshed ID
 * token for another user, IS's tenant-dropping `sub`).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Request } from 'express';
import * as jose from 'jose';
import { Wso2IsStrategy, type StoredTokens, type Wso2IsError } from '../lib/index.js';
import { selfSignedCertificate } from './support/certificate.js';
import { me, signIn, startWorld, type LiveApp, type World } from './support/live.js';

type Tokens = { tokens: StoredTokens | null };

describe('refresh and revoke (against the local identity server)', () => {
  let world: World;
  let plain: LiveApp;
  let renewing: LiveApp;
  let noRefresh: LiveApp;

  before(async () => {
    world = await startWorld([
      { clientId: 'refresh-app' },
      { clientId: 'renew-app', is: { renewRefreshToken: true } },
      { clientId: 'norefresh-app', is: { refreshToken: false } },
    ]);
    [plain, renewing, noRefresh] = world.apps as [LiveApp, LiveApp, LiveApp];
  });
  after(async () => {
    await world?.close();
  });

  it('does nothing while the access token is valid beyond the margin', async () => {
    const browser = world.browser();
    const { me: before } = await signIn(browser, plain);
    const page = await browser.get(`${plain.url}/refresh?margin=60`);
    assert.deepEqual((page.json as Tokens).tokens, before.tokens);
  });

  it('IS default: a new access token and ID token, the SAME refresh token; the session holds the new ones', async () => {
    const browser = world.browser();
    const { me: before } = await signIn(browser, plain);
    const page = await browser.get(`${plain.url}/refresh?margin=7200`);
    const fresh = (page.json as Tokens).tokens!;
    assert.notEqual(fresh.accessToken, before.tokens!.accessToken);
    assert.equal(fresh.refreshToken, before.tokens!.refreshToken, 'IS returns the same refresh token');
    assert.notEqual(fresh.idToken, before.tokens!.idToken, 'a new ID token');
    assert.ok(fresh.expiresAt! >= before.tokens!.expiresAt!);
    assert.deepEqual((await me(browser, plain)).tokens, fresh, 'the session holds the refreshed tokens');
    assert.equal(await world.active(plain, fresh.accessToken), true);
    const again = (await browser.get(`${plain.url}/refresh?margin=7200`)).json as Tokens;
    assert.notEqual(again.tokens!.accessToken, fresh.accessToken, 'the same refresh token keeps working');
  });

  it('"renew refresh token": a NEW refresh token replaces the old one in the session', async () => {
    const browser = world.browser();
    const { me: before } = await signIn(browser, renewing);
    const fresh = ((await browser.get(`${renewing.url}/refresh?margin=7200`)).json as Tokens).tokens!;
    assert.ok(fresh.refreshToken);
    assert.notEqual(fresh.refreshToken, before.tokens!.refreshToken);
    assert.equal((await me(browser, renewing)).tokens!.refreshToken, fresh.refreshToken);
    const next = ((await browser.get(`${renewing.url}/refresh?margin=7200`)).json as Tokens).tokens!;
    assert.notEqual(next.refreshToken, fresh.refreshToken, 'the renewed refresh token works for the next refresh');
  });

  it('client credentials IS rejects at refresh (its 401 with WWW-Authenticate) are REFRESH_FAILED naming invalid_client', async () => {
    const { me: signedIn } = await signIn(world.browser(), plain);
    const wrong = new Wso2IsStrategy(
      { serverOrigin: world.is.origin, certificatePath: world.is.caPath, clientId: plain.clientId, clientSecret: 'not-the-secret', callbackURL: 'http://127.0.0.1/login' },
      (_t, profile, done) => done(null, { id: profile.id }),
    );
    try {
      const req = { session: { 'wso2is:wso2is': { tokens: signedIn.tokens } }, sessionID: 'wrong-secret' } as unknown as Request;
      await assert.rejects(wrong.refresh(req, { force: true }), (err: Wso2IsError) => {
        assert.equal(err.code, 'REFRESH_FAILED');
        assert.equal(err.status, 502);
        assert.equal(err.error, 'invalid_client');
        assert.doesNotMatch(err.message, /not-the-secret/);
        return true;
      });
    } finally {
      await wrong.close();
    }
  });

  it('concurrent requests of one session share one refresh (with rotation, a second refresh would fail)', async function (this: Mocha.Context) {
    this.timeout(30_000);
    const browser = world.browser();
    const { me: before } = await signIn(browser, renewing);
    // A margin that the login's tokens (3 s older) fall within and the refreshed ones do not: a request that loads
    // the session after the refresh was saved has nothing to do, one that loaded it before must share the refresh.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const pages = await Promise.all(Array.from({ length: 6 }, () => browser.get(`${renewing.url}/api?margin=3598`)));
    for (const page of pages) assert.equal(page.status, 200, page.body);
    const access = new Set(pages.map((p) => (p.json as Tokens).tokens!.accessToken));
    assert.equal(access.size, 1, 'every request got the tokens of the one refresh');
    const [token] = [...access];
    assert.notEqual(token, before.tokens!.accessToken);
    assert.equal(await world.active(renewing, token!), true, 'and they are live at IS');
    const stored = (await me(browser, renewing)).tokens!;
    assert.equal(stored.accessToken, token);
    assert.equal(await world.active(renewing, stored.refreshToken!), true, 'the stored refresh token is the live one');
  });

  it('no refresh token (Refresh Token grant off in IS): NO_REFRESH_TOKEN, 401, with the fix in the message', async () => {
    const browser = world.browser();
    const { me: before } = await signIn(browser, noRefresh);
    assert.equal(before.tokens!.refreshToken, undefined);
    const valid = await browser.get(`${noRefresh.url}/refresh?margin=60`);
    assert.equal(valid.status, 200, 'nothing to do while the access token is valid');
    const page = await browser.get(`${noRefresh.url}/refresh?margin=7200`);
    assert.equal(page.status, 401);
    const body = page.json as { code: string; message: string };
    assert.equal(body.code, 'NO_REFRESH_TOKEN');
    assert.match(body.message, /enable the Refresh Token grant/);
  });

  it('without a login in the session, refresh answers undefined and the middleware lets the request through', async () => {
    const browser = world.browser();
    assert.deepEqual((await browser.get(`${plain.url}/refresh?margin=7200`)).json, { tokens: null });
    assert.deepEqual((await browser.get(`${plain.url}/api`)).json, { tokens: null });
  });

  it('revoke(req): IS answers 200 with an empty body; the tokens stop working and a refresh is then REFRESH_FAILED (invalid_grant, 401)', async () => {
    const browser = world.browser();
    const { me: before } = await signIn(browser, plain);
    const page = await browser.post(`${plain.url}/revoke`, {});
    assert.deepEqual(page.json, { revoked: true });
    assert.equal(await world.active(plain, before.tokens!.accessToken), false);
    assert.equal(await world.active(plain, before.tokens!.refreshToken!), false);
    const refused = await browser.get(`${plain.url}/refresh?margin=7200`);
    assert.equal(refused.status, 401);
    const body = refused.json as { code: string; message: string };
    assert.equal(body.code, 'REFRESH_FAILED');
    assert.match(body.message, /refused the refresh token/);
    assert.ok(!refused.body.includes(before.tokens!.refreshToken!), 'no token in the error');
  });

  it('refresh options are checked', async () => {
    const req = { session: {} } as unknown as Request;
    await assert.rejects(plain.strategy.refresh(req, { margin: -1 }), (err: Wso2IsError) => err.code === 'CONFIG_INVALID' && /margin/.test(err.message));
    await assert.rejects(plain.strategy.refresh(req, { margin: 'soon' as unknown as number }), /margin/);
  });
});

/**
 * A stand-in for IS's refresh grant on a real HTTPS server (self-signed `localhost` certificate, trusted by the
 * strategy through `ca`): discovery, JWKS and a token endpoint answering refresh grants with ID tokens chosen by
 * the test. For what the local identity server does not produce: a refreshed ID token for another user, IS's
 * tenant-dropping `sub`, another signing key.
 */
async function startRefreshStandIn(tenantPath: string) {
  const { certPem, keyPem } = await selfSignedCertificate('localhost');
  const { privateKey, publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'stand-in_RS256', alg: 'RS256', use: 'sig' };
  const state = { refreshes: 0, base: '', issuer: '', nextIdToken: async (): Promise<string> => '' };
  const sign = (claims: Record<string, unknown>, key: CryptoKey = privateKey as CryptoKey) => new jose.SignJWT({ aud: 'client-1', azp: 'client-1', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: jwk.kid })
    .setIssuer(state.issuer)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(key);
  const server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '').slice(tenantPath.length);
    if (path === '/oauth2/token/.well-known/openid-configuration') {
      return json(200, {
        issuer: state.issuer,
        authorization_endpoint: `${state.base}/oauth2/authorize`,
        token_endpoint: `${state.base}/oauth2/token`,
        jwks_uri: `${state.base}/oauth2/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (path === '/oauth2/jwks') return json(200, { keys: [jwk] });
    if (path === '/oauth2/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (new URLSearchParams(body).get('grant_type') !== 'refresh_token') return json(400, { error: 'unsupported_grant_type' });
        const n = ++state.refreshes;
        setTimeout(() => {
          state.nextIdToken().then((idToken) => json(200, { access_token: `at-${n}`, token_type: 'Bearer', expires_in: 3600, id_token: idToken }));
        }, 30);
      });
      return undefined;
    }
    return json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  state.base = `https://localhost:${(server.address() as AddressInfo).port}${tenantPath}`;
  state.issuer = `${state.base}/oauth2/token`;
  return {
    state,
    origin: `https://localhost:${(server.address() as AddressInfo).port}`,
    ca: certPem,
    sign,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('refresh: ID token checks (IS stand-in over real HTTPS)', () => {
  let standIn: Awaited<ReturnType<typeof startRefreshStandIn>>;
  let strategy: Wso2IsStrategy;

  beforeEach(async () => {
    standIn = await startRefreshStandIn('/t/acme.com');
    strategy = new Wso2IsStrategy(
      { serverOrigin: standIn.origin, tenant: 'acme.com', ca: standIn.ca, clientId: 'client-1', clientSecret: 'secret-1', callbackURL: 'http://127.0.0.1/login' },
      (_t, profile, done) => done(null, { id: profile.id }),
    );
  });
  afterEach(async () => {
    await strategy?.close();
    await standIn?.close();
  });

  /** A request whose session holds a login of `sub` with an access token about to expire. */
  async function requestOf(sub: string, sessionID = 'session-1'): Promise<Request> {
    const tokens: StoredTokens = {
      accessToken: 'at-0',
      tokenType: 'Bearer',
      idToken: await standIn.sign({ sub }),
      refreshToken: 'rt-0',
      expiresAt: Math.floor(Date.now() / 1000) + 10,
    };
    return { session: { 'wso2is:wso2is': { tokens } }, sessionID } as unknown as Request;
  }

  it('a refreshed ID token for another user is refused (REFRESH_FAILED) and the session keeps its tokens', async () => {
    standIn.state.nextIdToken = () => standIn.sign({ sub: 'mallory' });
    const req = await requestOf('alice');
    await assert.rejects(strategy.refresh(req), (err: Wso2IsError) => err.code === 'REFRESH_FAILED' && /another subject/.test(err.message));
    assert.equal(strategy.getTokens(req)?.accessToken, 'at-0');
  });

  it('IS quirk: a refreshed ID token whose sub lost the tenant domain is the same user', async () => {
    standIn.state.nextIdToken = () => standIn.sign({ sub: 'alice' });
    const req = await requestOf('alice@acme.com');
    const fresh = await strategy.refresh(req);
    assert.equal(fresh?.accessToken, 'at-1');
    assert.equal(fresh?.refreshToken, 'rt-0', 'no refresh token in the answer: the old one stays');
    assert.equal(strategy.getTokens(req)?.accessToken, 'at-1');
  });

  it('a refreshed ID token signed by another key is refused', async () => {
    const other = await jose.generateKeyPair('RS256');
    standIn.state.nextIdToken = () => standIn.sign({ sub: 'alice' }, other.privateKey as CryptoKey);
    const req = await requestOf('alice');
    await assert.rejects(strategy.refresh(req), (err: Wso2IsError) => err.code === 'REFRESH_FAILED');
    assert.equal(strategy.getTokens(req)?.accessToken, 'at-0');
  });

  it('ten concurrent refreshes of one session make one request to IS; another session gets its own', async () => {
    standIn.state.nextIdToken = () => standIn.sign({ sub: 'alice' });
    const requests = await Promise.all(Array.from({ length: 10 }, () => requestOf('alice')));
    const results = await Promise.all(requests.map((r) => strategy.refresh(r)));
    assert.equal(standIn.state.refreshes, 1);
    assert.deepEqual(new Set(results.map((t) => t?.accessToken)), new Set(['at-1']));
    for (const r of requests) assert.equal(strategy.getTokens(r)?.accessToken, 'at-1', 'each request\'s session is updated');
    await strategy.refresh(await requestOf('alice', 'session-2'));
    assert.equal(standIn.state.refreshes, 2);
  });
});
