import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { Wso2IsStrategy, type Wso2IsOptions } from '../lib/index.js';
import { selfSignedCertificate } from './support/certificate.js';

/**
 * A real HTTPS server with a self-signed certificate for `localhost` (like IS's shipped wso2carbon certificate)
 * serving a discovery document: the CA rules are tested against real TLS, not a mock.
 */
describe('TLS trust of the IS certificate', () => {
  let server: Server;
  let origin: string;
  let port: number;
  let dir: string;
  let caPath: string;
  let otherCaPath: string;
  let certPem: string;
  const connections: number[] = [];
  const strategies: Wso2IsStrategy[] = [];

  before(async () => {
    const cert = await selfSignedCertificate('localhost');
    certPem = cert.certPem;
    const other = await selfSignedCertificate('localhost');
    dir = mkdtempSync(join(tmpdir(), 'wso2is-tls-'));
    caPath = join(dir, 'wso2.crt');
    otherCaPath = join(dir, 'other.crt');
    writeFileSync(caPath, cert.certPem);
    writeFileSync(otherCaPath, other.certPem);
    server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      const base = `https://localhost:${port}`;
      if (req.url === '/oauth2/token/.well-known/openid-configuration') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({
          issuer: `${base}/oauth2/token`,
          authorization_endpoint: `${base}/oauth2/authorize`,
          token_endpoint: `${base}/oauth2/token`,
          jwks_uri: `${base}/oauth2/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        }));
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    server.on('secureConnection', () => connections.push(Date.now()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    origin = `https://localhost:${port}`;
  });

  after(async () => {
    await Promise.all(strategies.map((s) => s.close()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs /login through a real passport app and returns what the browser would get. */
  async function login(options: Partial<Wso2IsOptions>): Promise<{ status: number; location?: string; error?: { code: string; message: string } }> {
    const strategy = new Wso2IsStrategy(
      { serverOrigin: origin, clientId: 'c', clientSecret: 's', callbackURL: 'https://app.example/login', ...options } as Wso2IsOptions,
      (_t, p, done) => done(null, p),
    );
    strategies.push(strategy);
    const passport = new Passport();
    passport.use(strategy);
    const app = express();
    app.use(session({ secret: 'x', resave: false, saveUninitialized: false }));
    app.get('/login', passport.authenticate(strategy.name));
    let error: { code: string; message: string } | undefined;
    app.use((err: Error & { code: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      error = { code: err.code, message: err.message };
      res.status(500).end();
    });
    const appServer = await new Promise<HttpServer>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const res = await fetch(`http://127.0.0.1:${(appServer.address() as AddressInfo).port}/login`, { redirect: 'manual' });
      const location = res.headers.get('location') ?? undefined;
      return { status: res.status, ...(location ? { location } : {}), ...(error ? { error } : {}) };
    } finally {
      appServer.closeAllConnections();
      appServer.close();
    }
  }

  it('trusts the IS certificate given by certificatePath (certificate_path)', async () => {
    const res = await login({ certificate_path: caPath } as Partial<Wso2IsOptions>);
    assert.equal(res.status, 302, JSON.stringify(res.error));
    assert.ok(res.location?.startsWith(`${origin}/oauth2/authorize?`));
  });

  it('trusts the IS certificate given inline as ca', async () => {
    assert.equal((await login({ ca: certPem })).status, 302);
  });

  it('a second strategy without the CA does not trust it, and says which option supplies it', async () => {
    const res = await login({});
    assert.equal(res.error?.code, 'TLS_FAILED');
    assert.match(res.error!.message, /certificatePath/);
    assert.match(res.error!.message, /self-signed|not publicly trusted/);
    assert.doesNotMatch(res.error!.message, /NODE_TLS_REJECT_UNAUTHORIZED=0/);
  });

  it('a certificate that is not the one IS presents fails, naming the file to fix', async () => {
    const res = await login({ certificatePath: otherCaPath });
    assert.equal(res.error?.code, 'TLS_FAILED');
    assert.ok(res.error!.message.includes(otherCaPath));
  });

  it('IS reached by IP fails the hostname check of its localhost certificate, with the fix in the message', async () => {
    const res = await login({ serverOrigin: `https://127.0.0.1:${port}`, certificatePath: caPath });
    assert.equal(res.error?.code, 'TLS_FAILED');
    assert.match(res.error!.message, /ERR_TLS_CERT_ALTNAME_INVALID/);
    assert.match(res.error!.message, /https:\/\/localhost:/);
  });

  it('leaves the process-wide trust untouched: plain fetch still refuses the IS certificate', async () => {
    const before = rootCertificates.length;
    await login({ certificatePath: caPath });
    assert.equal(rootCertificates.length, before);
    assert.equal(process.env['NODE_TLS_REJECT_UNAUTHORIZED'], undefined);
    await assert.rejects(fetch(`${origin}/oauth2/token/.well-known/openid-configuration`), (err: Error) => {
      const code = (err.cause as { code?: string } | undefined)?.code ?? '';
      return /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/.test(code);
    });
  });

  it('reuses keep-alive connections: ten requests to IS open no more than two', async () => {
    const strategy = new Wso2IsStrategy(
      { serverOrigin: origin, clientId: 'c', clientSecret: 's', callbackURL: 'https://app.example/login', certificatePath: caPath, discoveryTTL: 0 },
      (_t, p, done) => done(null, p),
    );
    strategies.push(strategy);
    const issuer = (strategy as unknown as { issuer: { get(): Promise<unknown> } }).issuer;
    const start = connections.length;
    for (let i = 0; i < 10; i++) await issuer.get();
    assert.ok(connections.length - start <= 2, `${connections.length - start} connections`);
  });
});
