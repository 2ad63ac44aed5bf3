/**
 * The example app (example/) in a real browser: headless Chromium, driven by playwright-core, against the local
 * identity server. Both servers listen on free loopback ports; the browser trusts the local CA through an NSS
 * database in a temporary HOME (no `ignoreHTTPSErrors`: a certificate problem fails the test, as it would
 * for a user).
 *
 * Chromium is required, not optional: without /usr/bin/chromium (or CHROMIUM_PATH) the suite fails and says
 * how to install it. On failure, a screenshot of every page the scenario went through is written to
 * test-results/example/ (git-ignored); EXAMPLE_SCREENSHOTS=1 writes them for passing tests too.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startIdentityServer, type IdentityServer } from '../../identity-server/index.js';
import { createExampleApp, type ExampleApp } from '../../example/app.js';
import { listenHttps, localCertificate, type HttpsListener } from '../../example/https.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DATA_DIR = join(tmpdir(), 'passport-wso2is-example-tests');
const RESULTS_DIR = join('test-results', 'example');
const CLIENT_ID = 'example-app';
const CLIENT_SECRET = 'example-secret';
/** The flags that work on this machine (see design notes); playwright adds --headless and its own empty profile. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function requireTool(path: string, what: string): void {
  if (!existsSync(path)) {
    throw new Error(
      `${what} is needed by the example's browser tests and was not found at ${path}. Install it: ` +
        'apt-get update && apt-get install -y --no-install-recommends chromium libnss3-tools ' +
        '(.ci/run does this on CI), or set CHROMIUM_PATH to another Chromium.',
    );
  }
}

/** A HOME whose NSS database trusts the local CA: Chromium on Linux reads `$HOME/.pki/nssdb`. */
function homeTrusting(caPath: string): string {
  const home = mkdtempSync(join(tmpdir(), 'passport-wso2is-chromium-'));
  const db = `sql:${join(home, '.pki', 'nssdb')}`;
  mkdirSync(join(home, '.pki', 'nssdb'), { recursive: true });
  execFileSync('certutil', ['-d', db, '-N', '--empty-password']);
  execFileSync('certutil', ['-d', db, '-A', '-t', 'C,,', '-n', 'passport-wso2is local CA', '-i', caPath]);
  return home;
}

describe('example app in a real browser (headless Chromium)', function () {
  this.timeout(60_000);

  let is: IdentityServer;
  let listener: HttpsListener;
  let app: ExampleApp;
  let browser: Browser;
  let home: string | undefined;
  let origin: string;
  const contexts: BrowserContext[] = [];
  /** Screenshots of the pages the current test went through, written out only when it fails. */
  let trail: { label: string; png: Buffer }[] = [];

  before(async function () {
    requireTool(CHROMIUM, 'Chromium');
    requireTool('/usr/bin/certutil', 'certutil (Debian package libnss3-tools, to trust the local CA in Chromium)');
    // The example listens first: its port makes the callback URLs registered in IS.
    listener = await listenHttps({ ...(await localCertificate(DATA_DIR)), port: 0 });
    origin = listener.origin;
    is = await startIdentityServer({
      port: 0,
      dataDir: DATA_DIR,
      logoutConsent: true,
      applications: [
        {
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          name: 'passport-wso2is example',
          redirectUris: [`${origin}/login`, `${origin}/signin`],
          backchannelLogoutUri: `${origin}/backchannel-logout`,
        },
      ],
    });
    app = createExampleApp({
      login_callback_url: `${origin}/login`,
      logout_callback_url: `${origin}/signin`,
      client_host: origin,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      server_origin: is.origin,
      tenant_path: '',
      tenant: 'carbon.super',
      certificate_path: is.caPath,
    });
    listener.serve(app);
    home = homeTrusting(is.caPath);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      env: { ...process.env, HOME: home } as Record<string, string>,
    });
  });

  after(async function () {
    await browser?.close();
    await app?.close();
    await listener?.close();
    await is?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  beforeEach(function () {
    trail = [];
  });

  afterEach(async function () {
    const test = this.currentTest;
    if (test?.state === 'failed' || (process.env.EXAMPLE_SCREENSHOTS === '1' && test)) {
      const dir = join(RESULTS_DIR, test.title.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80));
      mkdirSync(dir, { recursive: true });
      for (const page of contexts.flatMap((c) => c.pages())) await snap(page, test.state === 'failed' ? 'at failure' : 'last').catch(() => undefined);
      trail.forEach(({ label, png }, i) => writeFileSync(join(dir, `${String(i + 1).padStart(2, '0')}-${label.replace(/[^A-Za-z0-9]+/g, '-')}.png`), png));
      if (test.state === 'failed') console.error(`    screenshots of the failed test: ${dir}/`);
    }
    for (const context of contexts.splice(0)) await context.close();
  });

  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 1024, height: 720 } });
    context.setDefaultTimeout(10_000);
    contexts.push(context);
    return context;
  }

  /** Keeps a screenshot of the page for the failure report. */
  async function snap(page: Page, label: string): Promise<void> {
    trail.push({ label, png: await page.screenshot({ fullPage: true }) });
  }

  async function heading(page: Page): Promise<string> {
    return (await page.locator('h1, h2').first().innerText()).trim();
  }

  /** On IS's login page: signs in. */
  async function signInAtIs(page: Page, username: string, password: string): Promise<void> {
    await page.waitForURL((url) => url.href.startsWith(`${is.origin}/authenticationendpoint/login.do`));
    assert.equal(await heading(page), 'Sign In');
    assert.match(await page.locator('#application-name').innerText(), /passport-wso2is example/);
    await snap(page, 'IS login page');
    await page.fill('#usernameUserInput', username);
    await page.fill('#password', password);
    await page.click('#sign-in-button');
  }

  /** On IS's consent page (shown once per IS session): Allow or Deny. */
  async function answerConsent(page: Page, answer: 'approve' | 'deny'): Promise<void> {
    await page.waitForURL((url) => url.href.startsWith(`${is.origin}/authenticationendpoint/oauth2_consent.do`));
    assert.equal(await heading(page), 'passport-wso2is example wants to access your account');
    await snap(page, 'IS consent page');
    await page.click(`#${answer}`);
  }

  async function expectDashboard(page: Page): Promise<void> {
    await page.waitForURL(`${origin}/`);
    await snap(page, 'dashboard');
    assert.equal(await page.locator('#greeting').innerText(), 'Hi admin');
  }

  async function expectSigninPage(page: Page): Promise<void> {
    await page.waitForURL((url) => url.origin === origin && url.pathname === '/signin');
    await snap(page, 'sign-in page');
    assert.equal(await heading(page), 'Sign in');
    assert.equal(await page.locator('#login').innerText(), 'Login');
  }

  it('signs in with admin/admin through IS login and consent, shows the user, signs out here and at IS', async function () {
    const page = await (await newContext()).newPage();

    // Anonymous: the dashboard sends you to sign in.
    await page.goto(`${origin}/`);
    await expectSigninPage(page);
    // The stylesheet is served and applied.
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(245, 246, 248)');

    await page.click('#login');
    await signInAtIs(page, 'admin', 'admin');
    await answerConsent(page, 'approve');
    await expectDashboard(page);

    // The attribute table: IS's user attributes, with values; protocol claims are not attributes.
    const rows = await page.locator('#attributes tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [tr.querySelector('th')?.textContent?.trim(), tr.querySelector('td')?.textContent?.trim()]),
    );
    const attributes = Object.fromEntries(rows);
    assert.equal(attributes['email'], 'admin@wso2.com');
    assert.equal(attributes['given_name'], 'Admin');
    assert.equal(attributes['family_name'], 'Administrator');
    assert.equal(attributes['username'], 'admin');
    assert.equal(attributes['groups'], 'admin');
    assert.equal(attributes['roles'], 'admin, Internal/everyone');
    for (const protocol of ['iss', 'aud', 'exp', 'nonce', 'sid', 'sub']) assert.equal(attributes[protocol], undefined, protocol);
    for (const [name, value] of rows) assert.ok(value, `attribute ${name} is shown without a value`);
    assert.equal(await page.locator('#no-attributes').count(), 0);
    assert.ok((await page.locator('#access-token').innerText()).length >= 16, 'the access token is shown');

    // Logout: IS asks "Do you want to logout?" (logout consent is on in this suite), then returns to the sign-in page.
    await page.click('#logout');
    await page.waitForURL((url) => url.href.startsWith(`${is.origin}/oidc/logout`));
    await snap(page, 'IS logout consent');
    assert.equal(await heading(page), 'Do you want to logout?');
    await page.click('#approve');
    await expectSigninPage(page);
    assert.equal(await page.locator('#notice').innerText(), 'You have signed out.');

    // Signed out here: the dashboard sends you to sign in again.
    await page.goto(`${origin}/`);
    await expectSigninPage(page);
    // Signed out at IS too: the next login asks for the password again.
    await page.click('#login');
    await signInAtIs(page, 'admin', 'admin');
    await page.waitForURL((url) => url.origin === origin || url.pathname.endsWith('/oauth2_consent.do'));
    if (page.url().startsWith(is.origin)) await answerConsent(page, 'approve');
    await expectDashboard(page);
  });

  it('says so when the user answers "No" on IS\'s logout consent: signed out here, still signed in at IS', async function () {
    const page = await (await newContext()).newPage();
    await page.goto(`${origin}/login`);
    await signInAtIs(page, 'admin', 'admin');
    await answerConsent(page, 'approve');
    await expectDashboard(page);

    await page.click('#logout');
    await page.waitForURL((url) => url.href.startsWith(`${is.origin}/oidc/logout`));
    await page.click('#deny');
    await expectSigninPage(page);
    assert.match(await page.locator('#notice').innerText(), /still signed in there/);

    // The IS session remains: Login does not ask for the password. (IS asks for consent again: the logout revoked
    // the application's tokens, and with them the grant.)
    const visited: string[] = [];
    page.on('framenavigated', (frame) => visited.push(frame.url()));
    await page.click('#login');
    await page.waitForURL((url) => url.origin === origin || url.pathname.endsWith('/oauth2_consent.do'));
    if (page.url().startsWith(is.origin)) await answerConsent(page, 'approve');
    await expectDashboard(page);
    assert.ok(!visited.some((url) => url.includes('/authenticationendpoint/login.do')), `no IS login page: ${visited.join(', ')}`);
  });

  it('signs the user out when the IS session ends elsewhere (back-channel logout)', async function () {
    const page = await (await newContext()).newPage();
    await page.goto(`${origin}/login`);
    await signInAtIs(page, 'admin', 'admin');
    await answerConsent(page, 'approve');
    await expectDashboard(page);

    // The user logs out at IS itself (as from another application of the same IS session).
    await page.goto(`${is.origin}/oidc/logout?client_id=${CLIENT_ID}`);
    await page.click('#approve');
    await page.waitForSelector('#logout-success');
    await snap(page, 'IS logged out');

    // IS told the example over the back channel: its session is gone.
    await page.goto(`${origin}/`);
    await expectSigninPage(page);
  });

  it('shows access_denied and IS\'s description when the user denies consent', async function () {
    const page = await (await newContext()).newPage();
    await page.goto(`${origin}/signin`);
    await page.click('#login');
    await signInAtIs(page, 'admin', 'admin');
    await answerConsent(page, 'deny');

    await page.waitForURL((url) => url.origin === origin && url.pathname === '/login');
    await snap(page, 'error page');
    assert.equal(await heading(page), 'You did not allow access');
    assert.equal(await page.locator('#error-code').innerText(), 'access_denied');
    assert.equal(await page.locator('#error-description').innerText(), 'User denied the consent');
    const text = await page.locator('body').innerText();
    assert.doesNotMatch(text, /\bat .+\(.+:\d+:\d+\)|Error:|node_modules/, 'no stack trace on the page');

    // Not signed in: Try again starts a new login at IS.
    await page.click('#try-again');
    await page.waitForURL((url) => url.href.startsWith(is.origin));
    await page.goto(`${origin}/`);
    await expectSigninPage(page);
  });

  it('explains a cancelled login (IS answers login_required)', async function () {
    const page = await (await newContext()).newPage();
    await page.goto(`${origin}/login`);
    await page.waitForURL((url) => url.href.startsWith(`${is.origin}/authenticationendpoint/login.do`));
    await page.click('#cancel-button');

    await page.waitForURL((url) => url.origin === origin && url.pathname === '/login');
    await snap(page, 'error page');
    assert.equal(await heading(page), 'The sign-in was cancelled');
    assert.equal(await page.locator('#error-code').innerText(), 'login_required');
    assert.equal(await page.locator('#error-description').innerText(), 'Authentication required');
  });

  it('completes two logins started in two tabs of one browser, both waiting on IS\'s login page', async function () {
    const context = await newContext();
    const first = await context.newPage();
    const second = await context.newPage();
    const atIsLogin = (url: URL) => url.href.startsWith(`${is.origin}/authenticationendpoint/login.do`);
    const sessionDataKey = (page: Page) => new URL(page.url()).searchParams.get('sessionDataKey');

    // Both tabs start a login and wait on IS's login page, each with its own sessionDataKey.
    await first.goto(`${origin}/login`);
    await first.waitForURL(atIsLogin);
    await second.goto(`${origin}/login`);
    await second.waitForURL(atIsLogin);
    assert.ok(sessionDataKey(first));
    assert.notEqual(sessionDataKey(first), sessionDataKey(second));

    // The older tab signs in first: consent, then the dashboard.
    await signInAtIs(first, 'admin', 'admin');
    await answerConsent(first, 'approve');
    await expectDashboard(first);

    // The newer tab's login page is still good: signing in there lands on the dashboard too, without a second
    // consent (given in the other tab).
    const visited: string[] = [];
    second.on('framenavigated', (frame) => visited.push(frame.url()));
    await signInAtIs(second, 'admin', 'admin');
    await expectDashboard(second);
    assert.ok(!visited.some((url) => url.includes('/oauth2_consent.do')), `no second consent: ${visited.join(', ')}`);
    assert.ok(!visited.some((url) => url.includes('/authenticationendpoint/login.do')), `no login page again: ${visited.join(', ')}`);

    // One application session: the older tab still shows the dashboard.
    await first.reload();
    await expectDashboard(first);
  });
});
