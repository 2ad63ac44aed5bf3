/**
 * The local identity server and real Express 5 + express-session + passport 0.7 applications around it, for the
 * sign-out and session lifecycle tests: the whole round trip runs over real HTTP(S), with the IS CA trusted only
 * through each strategy's `certificatePath` and by the TestBrowser that plays the user.
 *
 * The applications' HTTP servers listen first (port 0) so that the identity server can be started with their
 * callback, logout and back-channel URLs registered, as an administrator would register them in IS.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { Agent } from 'undici';
import { startIdentityServer, type ApplicationOptions, type IdentityServer } from '../../identity-server/index.js';
import { Wso2IsStrategy, type LogoutOptions, type Wso2IsOptions } from '../../lib/index.js';
import { TEST_DATA_DIR } from '../identity-server/fixture.js';
import { TestBrowser, type BrowserPage } from './browser.js';

export interface LiveAppSpec {
  clientId: string;
  /** IS application options (renewRefreshToken, refreshToken, skipConsent...). */
  is?: Partial<ApplicationOptions>;
  /** Register `/backchannel-logout` as the application's back-channel logout URL. */
  backchannel?: boolean;
  /** Register `/frontchannel-logout` as the application's front-channel logout URL. */
  frontchannel?: boolean;
  /** Extra strategy options. */
  strategy?: Partial<Wso2IsOptions>;
}

export interface LiveApp {
  url: string;
  clientId: string;
  clientSecret: string;
  strategy: Wso2IsStrategy;
  store: session.MemoryStore;
  /** Status codes of the answers to IS's back-channel logout POSTs, in order. */
  backchannelAnswers: number[];
  /** Session ids currently in the store. */
  sessionIds(): Promise<string[]>;
}

export interface World {
  is: IdentityServer;
  apps: LiveApp[];
  /** A fresh browser (its own cookies) trusting the IS CA; it stops (without a request) at `stopAt` prefixes. */
  browser(stopAt?: string[]): TestBrowser;
  /** POSTs a form to a URL over loopback (for forged back-channel requests). */
  post(url: string, form: Record<string, string>, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; text: string }>;
  /** Whether IS still considers `token` active (introspection with the app's credentials). */
  active(app: LiveApp, token: string): Promise<boolean>;
  close(): Promise<void>;
}

/** What `/me` answers. */
export interface Me {
  user: { id: string; sid?: string } | null;
  tokens: { accessToken: string; idToken: string; refreshToken?: string; expiresAt?: number } | null;
  sessionID: string;
}

async function listen(): Promise<{ server: Server; url: string }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function buildApp(strategy: Wso2IsStrategy, store: session.MemoryStore, backchannelAnswers: number[]): express.Express {
  const passport = new Passport();
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  const app = express();
  app.use(session({ secret: 'live-test-secret', resave: false, saveUninitialized: false, store }));
  app.use(passport.session());
  app.get('/login', passport.authenticate(strategy.name, { successRedirect: '/me', failureRedirect: '/failed', failureMessage: true }));
  const logout = strategy.logout();
  app.get('/logout', logout);
  app.post('/logout', logout);
  const revoking: LogoutOptions = { revoke: true };
  app.post('/logout-revoke', strategy.logout(revoking));
  app.get('/signin', strategy.logoutCallback({ redirect: '/signin?signedOut=1' }), (req, res) => {
    const messages = (req.session as unknown as { messages?: string[] }).messages ?? [];
    res.json({ page: 'signin', signedOut: req.query['signedOut'] ?? null, messages, user: req.user ?? null });
  });
  app.post('/backchannel-logout', (_req, res, next) => {
    res.on('finish', () => backchannelAnswers.push(res.statusCode));
    next();
  }, strategy.backchannelLogout());
  app.get('/frontchannel-logout', strategy.frontchannelLogout());
  app.get('/refresh', async (req, res) => {
    const margin = Number(req.query['margin'] ?? 60);
    res.json({ tokens: (await strategy.refresh(req, { margin })) ?? null });
  });
  app.get('/api', (req, res, next) => strategy.refreshTokens({ margin: Number(req.query['margin'] ?? 7200) })(req, res, next), (req, res) => {
    res.json({ tokens: strategy.getTokens(req) ?? null });
  });
  app.post('/revoke', async (req, res) => {
    await strategy.revoke(req);
    res.json({ revoked: true });
  });
  app.get('/me', (req, res) => {
    res.json({ user: req.user ?? null, tokens: strategy.getTokens(req) ?? null, sessionID: req.sessionID });
  });
  app.get('/failed', (req, res) => {
    res.status(401).json({ messages: (req.session as unknown as { messages?: string[] }).messages ?? [] });
  });
  app.use((err: Error & { code?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(err.status ?? 500).json({ code: err.code ?? null, message: err.message });
  });
  return app;
}

/** Extra routes a test file mounts on every application (before the error handler is irrelevant: Express 5 order). */
export type RouteHook = (app: express.Express, strategy: Wso2IsStrategy) => void;

/** Starts the applications and an identity server that knows them. */
export async function startWorld(specs: LiveAppSpec[], options: { logoutConsent?: boolean; routes?: RouteHook } = {}): Promise<World> {
  const servers = await Promise.all(specs.map(() => listen()));
  const applications: ApplicationOptions[] = specs.map((spec, i) => {
    const url = servers[i]!.url;
    return {
      clientId: spec.clientId,
      clientSecret: `${spec.clientId}-secret`,
      redirectUris: [`${url}/login`, `${url}/signin`],
      ...(spec.backchannel ? { backchannelLogoutUri: `${url}/backchannel-logout` } : {}),
      ...(spec.frontchannel ? { frontchannelLogoutUri: `${url}/frontchannel-logout` } : {}),
      ...spec.is,
    };
  });
  const is = await startIdentityServer({ port: 0, dataDir: TEST_DATA_DIR, logoutConsent: options.logoutConsent === true, applications });
  const apps: LiveApp[] = specs.map((spec, i) => {
    const { server, url } = servers[i]!;
    const strategy = new Wso2IsStrategy(
      {
        serverOrigin: is.origin,
        certificatePath: is.caPath,
        clientId: spec.clientId,
        clientSecret: `${spec.clientId}-secret`,
        callbackURL: `${url}/login`,
        logoutCallbackURL: `${url}/signin`,
        ...spec.strategy,
      },
      (_tokens, profile, done) => done(null, { id: profile.id, ...(profile.sessionId ? { sid: profile.sessionId } : {}) }),
    );
    const store = new session.MemoryStore();
    const backchannelAnswers: number[] = [];
    const app = buildApp(strategy, store, backchannelAnswers);
    options.routes?.(app, strategy);
    server.on('request', app);
    return {
      url,
      clientId: spec.clientId,
      clientSecret: `${spec.clientId}-secret`,
      strategy,
      store,
      backchannelAnswers,
      sessionIds: () => new Promise<string[]>((resolve, reject) => {
        store.all((err, all) => (err ? reject(err as Error) : resolve(Object.keys(all ?? {}))));
      }),
    };
  });
  const browsers: TestBrowser[] = [];
  const agent = new Agent({ connect: { ca: is.caPem } });
  return {
    is,
    apps,
    browser: (stopAt) => {
      const b = new TestBrowser({ ca: is.caPem, ...(stopAt ? { stopAt } : {}) });
      browsers.push(b);
      return b;
    },
    post: async (url, form, headers = {}) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(form).toString(),
        redirect: 'manual',
      });
      return { status: res.status, headers: res.headers, text: await res.text() };
    },
    active: async (app, token) => {
      const res = await fetch(`${is.origin}/oauth2/introspect`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token }).toString(),
        dispatcher: agent,
      } as RequestInit);
      return ((await res.json()) as { active?: boolean }).active === true;
    },
    close: async () => {
      await Promise.all(browsers.map((b) => b.close()));
      await Promise.all(apps.map((a) => a.strategy.close()));
      await Promise.all(servers.map(({ server }) => new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })));
      await is.stop().catch(() => undefined); // a test may have stopped it already
      await agent.close();
    },
  };
}

/** Signs in through the app and IS's pages (password when asked, consent when asked); ends on `/me`. */
export async function signIn(browser: TestBrowser, app: LiveApp, username = 'admin', password = 'admin'): Promise<{ page: BrowserPage; me: Me; askedPassword: boolean }> {
  let page = await browser.get(`${app.url}/login`);
  const askedPassword = page.url.includes('/authenticationendpoint/login.do');
  if (askedPassword) page = await browser.login(page, username, password);
  if (page.url.includes('/authenticationendpoint/oauth2_consent.do')) page = await browser.consent(page, 'approve');
  if (!page.url.startsWith(`${app.url}/me`)) throw new Error(`sign-in did not reach ${app.url}/me: ${page.url} ${page.status} ${page.body.slice(0, 300)}`);
  return { page, me: page.json as Me, askedPassword };
}

/** The app's `/me` as this browser sees it. */
export async function me(browser: TestBrowser, app: LiveApp): Promise<Me> {
  const page = await browser.get(`${app.url}/me`);
  return page.json as Me;
}
