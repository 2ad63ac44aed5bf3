/**
 * A real Express 5 + express-session + passport 0.7 application around one or more strategies, on a free
 * loopback port, and a cookie-keeping client for it. Used to assert what a user of the package observes:
 * redirects, session contents, `fail()` messages and error codes.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import type { Wso2IsStrategy } from '../../lib/index.js';

export interface TestApp {
  url: string;
  store: session.MemoryStore;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Mount express.urlencoded() before passport (form_post with a body parser). */
  bodyParser?: boolean;
}

/**
 * Routes:
 * - `GET|POST /login`  standard `passport.authenticate(name, { successReturnToOrRedirect: '/me', failureRedirect: '/failed', failureMessage: true })`
 * - `GET|POST /cb/:name` custom callback: answers JSON `{ outcome: 'success'|'fail'|'error', ... }` without logging in
 * - `GET /me` the logged-in user, the stored tokens and the session id
 * - `GET /failed` the failure messages passport stored
 * - errors: JSON `{ code, status, message }` with the error's status
 */
export async function startApp(strategies: Wso2IsStrategy[], options: TestAppOptions = {}): Promise<TestApp> {
  const passport = new Passport();
  for (const s of strategies) passport.use(s);
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  const app = express();
  const store = new session.MemoryStore();
  app.use(session({ secret: 'test-secret', resave: false, saveUninitialized: false, store }));
  if (options.bodyParser) app.use(express.urlencoded({ extended: false }));
  app.use(passport.session());
  const loginFor = (name: string) => (req: Request, res: Response, next: NextFunction) => {
    const returnTo = typeof req.query['returnTo'] === 'string' ? req.query['returnTo'] : undefined;
    passport.authenticate(name, {
      successReturnToOrRedirect: '/me',
      failureRedirect: '/failed',
      failureMessage: true,
      ...(returnTo !== undefined ? { returnTo } : {}),
    })(req, res, next);
  };
  app.all('/login', loginFor(strategies[0]?.name ?? 'wso2is'));
  app.all('/login/:name', (req, res, next) => loginFor(String(req.params['name']))(req, res, next));
  app.all('/cb/:name', (req, res, next) => {
    passport.authenticate(String(req.params['name']), (err: unknown, user: unknown, info: unknown, status: unknown) => {
      if (err) return next(err);
      if (!user) return res.status(401).json({ outcome: 'fail', info, status });
      res.json({ outcome: 'success', user, info });
    })(req, res, next);
  });
  app.get('/me', (req, res) => {
    const tokens = Object.fromEntries(strategies.map((s) => [s.name, s.getTokens(req) ?? null]));
    res.json({ user: req.user ?? null, tokens, sessionID: req.sessionID, session: req.session });
  });
  app.get('/failed', (req, res) => {
    res.status(401).json({ messages: (req.session as unknown as { messages?: string[] }).messages ?? [] });
  });
  app.use((err: Error & { code?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(err.status ?? 500).json({ code: err.code ?? null, status: err.status ?? 500, message: err.message });
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A response as the client saw it. */
export interface ClientResponse {
  status: number;
  location: string | null;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

/** A cookie-keeping HTTP client for the test application (one "browser"). */
export class AppClient {
  private readonly cookies = new Map<string, string>();
  constructor(private readonly base: string) {}

  /** Requests `path` (or an absolute URL) without following redirects. */
  async request(path: string, init: { method?: string; form?: Record<string, string>; body?: string; headers?: Record<string, string> } = {}): Promise<ClientResponse> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size) headers['cookie'] = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined = init.body;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(new URL(path, this.base), { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    const text = await res.text();
    return { status: res.status, location: res.headers.get('location'), body: text, json: <T>() => JSON.parse(text) as T };
  }

  get(path: string): Promise<ClientResponse> {
    return this.request(path);
  }

  /** Forgets the session cookie (a browser that dropped it). */
  clearCookies(): void {
    this.cookies.clear();
  }
}
