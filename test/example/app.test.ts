/**
 * The example app without a browser: its configuration from the environment, what its pages show (and escape),
 * and the error page when IS cannot be reached. The browser scenarios are in browser.test.ts.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { createExampleApp } from '../../example/app.js';
import { LOCAL_CLIENT_ID, loadConf, type AuthConfig } from '../../example/conf.js';
import { dashboardPage, userAttributes } from '../../example/views/dashboard.js';
import { errorPage } from '../../example/views/error.js';
import { escapeHtml } from '../../example/views/html.js';

describe('example app: configuration', function () {
  it('defaults to the Flask sample\'s auth_config and the local identity server', function () {
    const { auth_config, localIdentityServer } = loadConf({});
    assert.equal(localIdentityServer, true);
    assert.deepEqual(Object.keys(auth_config).sort(), [
      'certificate_path', 'client_host', 'client_id', 'client_secret', 'login_callback_url', 'logout_callback_url',
      'server_origin', 'tenant', 'tenant_path',
    ]);
    assert.equal(auth_config.login_callback_url, 'https://localhost:5000/login');
    assert.equal(auth_config.logout_callback_url, 'https://localhost:5000/signin');
    assert.equal(auth_config.client_host, 'https://localhost:5000');
    assert.equal(auth_config.server_origin, 'https://localhost:9443');
    assert.equal(auth_config.tenant, 'carbon.super');
    assert.equal(auth_config.tenant_path, '');
    assert.equal(auth_config.client_id, LOCAL_CLIENT_ID);
    assert.match(auth_config.certificate_path ?? '', /\.data\/identity-server\/ca\.pem$/);
  });

  it('points at another IS (e.g. Asgardeo) from the environment, and starts no local one', function () {
    const { auth_config, localIdentityServer } = loadConf({
      WSO2_SERVER_ORIGIN: 'https://api.asgardeo.io',
      WSO2_TENANT: 'acme',
      WSO2_CLIENT_ID: 'id-from-console',
      WSO2_CLIENT_SECRET: 'secret-from-console',
      EXAMPLE_ORIGIN: 'https://localhost:5443/',
    });
    assert.equal(localIdentityServer, false);
    assert.equal(auth_config.server_origin, 'https://api.asgardeo.io');
    assert.equal(auth_config.tenant, 'acme');
    assert.equal(auth_config.client_id, 'id-from-console');
    assert.equal(auth_config.client_secret, 'secret-from-console');
    assert.equal(auth_config.login_callback_url, 'https://localhost:5443/login');
    assert.equal(auth_config.logout_callback_url, 'https://localhost:5443/signin');
    assert.equal(auth_config.certificate_path, undefined, 'a publicly trusted IS needs no certificate file');
  });

  it('asks for the client credentials when another IS is named without them', function () {
    assert.throws(() => loadConf({ WSO2_SERVER_ORIGIN: 'https://is.example.com' }), /set WSO2_CLIENT_ID and WSO2_CLIENT_SECRET/);
  });
});

describe('example app: pages', function () {
  it('escapes text for HTML content and attributes', function () {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('the dashboard lists the user attributes, escaped, without protocol claims or empty values', function () {
    const html = dashboardPage({
      username: '<b>alice</b>',
      claims: {
        sub: 'uuid', iss: 'https://localhost:9443/oauth2/token', aud: 'app', nonce: 'n',
        given_name: '<script>alert(1)</script>', email: 'alice@example.com', phone_number: '', groups: ['staff', 'ops'],
        address: { locality: 'Colombo', region: '' }, roles: [],
      },
      accessToken: 'token-value',
    });
    assert.match(html, /Hi &lt;b&gt;alice&lt;\/b&gt;/);
    assert.ok(!html.includes('<script>alert(1)</script>'));
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.deepEqual(userAttributes({ sub: 's', email: 'e', phone_number: '', roles: [], groups: ['g'] }).map(([k]) => k), ['email', 'groups']);
    assert.match(html, /<td>staff, ops<\/td>/);
    assert.match(html, /<td>locality: Colombo<\/td>/);
    assert.ok(!/>iss</.test(html) && !/>phone_number</.test(html) && !/>roles</.test(html));
    assert.match(html, /id="access-token">token-value</);
    assert.ok(!html.includes('id="no-attributes"'));
  });

  it('the dashboard says so when IS released no attributes', function () {
    const html = dashboardPage({ username: 'alice', claims: { sub: 'uuid', iss: 'x', aud: 'app', email: '' } });
    assert.match(html, /id="no-attributes"/);
    assert.match(html, /IS released no user attributes/);
    assert.ok(!html.includes('id="attributes"'));
  });

  it('the error page shows IS\'s error and description, escaped', function () {
    const html = errorPage({ title: 'T', error: 'access_denied', description: '<i>denied</i>', message: 'm' });
    assert.match(html, /<code id="error-code">access_denied<\/code>/);
    assert.match(html, /id="error-description">&lt;i&gt;denied&lt;\/i&gt;</);
  });
});

describe('example app: when IS cannot be reached', function () {
  let server: Server;
  let url: string;
  let closedPort: number;
  let close: () => Promise<void>;

  before(async function () {
    // A port with nothing listening: the IS origin of this configuration.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const config: AuthConfig = {
      login_callback_url: 'https://localhost:5000/login',
      logout_callback_url: 'https://localhost:5000/signin',
      client_host: 'https://localhost:5000',
      client_id: 'app',
      client_secret: 'secret',
      server_origin: `https://localhost:${closedPort}`,
      tenant_path: '',
      tenant: 'carbon.super',
    };
    const app = createExampleApp(config);
    close = () => app.close();
    // Plain HTTP is enough here: the request fails before any cookie matters.
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async function () {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await close();
  });

  it('Login shows a page naming the fault (IS_UNREACHABLE), never a stack trace', async function () {
    const originalError = console.error;
    console.error = () => undefined; // the example logs the fault to the server log
    let res: Response;
    try {
      res = await fetch(`${url}/login`, { redirect: 'manual' });
    } finally {
      console.error = originalError;
    }
    const body = await res.text();
    assert.equal(res.status, 502);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(body, /<code id="error-code">IS_UNREACHABLE<\/code>/);
    assert.match(body, new RegExp(`localhost:${closedPort}`));
    assert.doesNotMatch(body, /\n\s+at |node_modules|\.ts:\d+/);
  });

  it('an unknown page is a tidy 404', async function () {
    const res = await fetch(`${url}/nope`);
    assert.equal(res.status, 404);
    assert.match(await res.text(), /Page not found/);
  });

  it('the dashboard sends anonymous users to the sign-in page', async function () {
    const res = await fetch(`${url}/`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/signin');
  });
});
