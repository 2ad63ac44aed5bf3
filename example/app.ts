/**
 * WSO2's Flask sample (`app.py` of the Python SDK blog), redone with Express, Passport and passport-wso2is.
 *
 * Routes, as in the sample:
 * - `GET /signin`: the sign-in page with the Login button.
 * - `GET /login`: starts the login at IS, and receives IS's callback (one URL for both, as WSO2's samples do).
 * - `GET /`: the dashboard, protected by `requiresAuth` (the sample's `requires_auth`).
 * - `POST /logout`: signs out here and at IS, which returns to the sign-in page (the logout callback URL).
 * - `POST /backchannel-logout`: IS's back-channel logout (not in the Flask sample).
 *
 * `createExampleApp(auth_config)` builds the application; `npm start` (example/start.ts) serves it over HTTPS next
 * to the local identity server. In your own application, import from 'passport-wso2is' instead of '../lib/index.js'.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport, type AuthenticateOptions } from 'passport';
import {
  Wso2IsError,
  Wso2IsStrategy,
  isSafeReturnTo,
  type Wso2IsAuthenticateOptions,
  type Wso2IsFailure,
  type Wso2IsProfile,
} from '../lib/index.js';
import type { AuthConfig } from './conf.js';
import { dashboardPage } from './views/dashboard.js';
import { errorPage, type ErrorPageInput } from './views/error.js';
import { signinPage } from './views/signin.js';

/** What the example keeps in the session for a signed-in user. */
export interface ExampleUser {
  /** The ID token's `sub`. */
  id: string;
  /** Who the dashboard greets. */
  username: string;
  /** Every claim IS released (ID token and userinfo). */
  claims: Record<string, unknown>;
}

/** Options of {@link createExampleApp} besides the `auth_config`. */
export interface ExampleAppOptions {
  /** Secret signing the session cookie. Default: random for each process, so sessions end when it restarts. */
  sessionSecret?: string;
  /** Scopes to request. Default the strategy's: `openid profile email`. */
  scope?: string[];
}

/** The Express application, with its strategy (for `getTokens`) and a `close()` for graceful shutdown. */
export type ExampleApp = Express & {
  strategy: Wso2IsStrategy;
  /** Closes the strategy's connections to IS. */
  close(): Promise<void>;
};

type ExampleSession = session.Session & Partial<session.SessionData> & { returnTo?: string; messages?: string[] };

const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

/** The sample's `requires_auth`: anonymous users go to the sign-in page, and come back here after the login. */
export function requiresAuth(req: Request, res: Response, next: NextFunction): void {
  if (req.isAuthenticated()) return next();
  (req.session as ExampleSession).returnTo = req.originalUrl;
  res.redirect('/signin');
}

/** What the error page says about a login that IS or the strategy refused. */
export function failurePage(failure: Partial<Wso2IsFailure> | undefined): ErrorPageInput {
  const error = failure?.error ?? failure?.code;
  const description = failure?.error_description;
  const base = { ...(error !== undefined ? { error } : {}), ...(description !== undefined ? { description } : {}) };
  if (failure?.error === 'access_denied') {
    return {
      ...base,
      title: 'You did not allow access',
      message: 'You declined to share your details with this application at the identity server. To use it, log in again and choose Allow.',
    };
  }
  if (failure?.error === 'login_required') {
    return {
      ...base,
      title: 'The sign-in was cancelled',
      message: 'The sign-in at the identity server did not complete: it was cancelled, or a sign-in with another identity provider failed. You can try again.',
    };
  }
  return {
    ...base,
    title: 'The sign-in did not complete',
    message: failure?.message ?? 'The identity server did not sign you in. You can try again.',
  };
}

/** Builds the example application for an `auth_config` (see example/conf.ts). Performs no I/O. */
export function createExampleApp(authConfig: AuthConfig, options: ExampleAppOptions = {}): ExampleApp {
  const strategy = new Wso2IsStrategy(
    { ...authConfig, ...(options.scope !== undefined ? { scope: options.scope } : {}) },
    (_tokens, profile: Wso2IsProfile, done) => {
      const user: ExampleUser = { id: profile.id, username: profile.username ?? profile.displayName, claims: profile._json };
      done(null, user);
    },
  );
  // An own Passport instance rather than the global `passport`, so that several example apps can run in one
  // process (the tests do); with the global one the code is the same.
  const passport = new Passport();
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));

  const app = express();
  app.disable('x-powered-by');
  app.use('/static', express.static(STATIC_DIR, { index: false }));
  // Back-channel logout: IS POSTs a signed logout token here when the IS session ends elsewhere (another
  // application's logout, an administrator); the example sessions of that IS session end. A server-to-server call,
  // so it comes before the session middleware. Register this URL as the application's back-channel logout URL.
  app.post('/backchannel-logout', strategy.backchannelLogout());
  app.use(
    session({
      name: 'wso2is-example.sid',
      secret: options.sessionSecret ?? randomBytes(32).toString('hex'),
      resave: false,
      saveUninitialized: false,
      // The example is served over HTTPS only. SameSite=Lax: the session cookie comes back with IS's redirect.
      cookie: { secure: true, httpOnly: true, sameSite: 'lax' },
    }),
  );
  app.use(passport.session());

  // The sign-in page, which is also the logout callback URL: `logoutCallback` recognises IS's return from the
  // logout (checking its one-time `state`) and lands on /signin?signedOut=1, or on /signin with the reason in
  // req.session.messages when the logout was refused (the user answered "No" on IS's logout consent page).
  app.get('/signin', strategy.logoutCallback({ redirect: '/signin?signedOut=1', failureRedirect: '/signin' }), (req, res) => {
    if (req.isAuthenticated()) return res.redirect('/');
    const session = req.session as ExampleSession;
    const message = session.messages?.at(-1);
    delete session.messages;
    res.type('html').send(signinPage({
      serverOrigin: authConfig.server_origin,
      ...(message !== undefined ? { notice: { kind: 'warning', text: message } } : {}),
      ...(message === undefined && req.query['signedOut'] === '1' ? { notice: { kind: 'info', text: 'You have signed out.' } } : {}),
    }));
  });

  // Starts the login (a request without `code` or `error`) and receives IS's callback (with them).
  app.get('/login', (req, res, next) => {
    const pendingReturnTo = (req.session as ExampleSession).returnTo;
    const returnTo = pendingReturnTo !== undefined && isSafeReturnTo(pendingReturnTo) ? pendingReturnTo : undefined;
    // `returnTo` is the strategy's own option (passport's types do not know it): after the login, it comes back
    // in `info.returnTo`, even though passport regenerates the session.
    const authOptions: Wso2IsAuthenticateOptions = returnTo !== undefined ? { returnTo } : {};
    passport.authenticate(
      strategy.name,
      authOptions as AuthenticateOptions,
      (err: unknown, user: ExampleUser | false, info: (Partial<Wso2IsFailure> & { returnTo?: string }) | undefined) => {
        if (err) return next(err);
        if (!user) return res.status(401).type('html').send(errorPage(failurePage(info)));
        req.logIn(user, (loginErr) => {
          if (loginErr) return next(loginErr);
          const target = info?.returnTo ?? '/';
          delete (req.session as ExampleSession).returnTo;
          res.redirect(isSafeReturnTo(target) ? target : '/');
        });
      },
    )(req, res, next);
  });

  app.get('/', requiresAuth, (req, res) => {
    const user = req.user as ExampleUser;
    // The page shows the access token: keep it out of caches and the back button after logout.
    res.set('Cache-Control', 'no-store');
    const accessToken = strategy.getTokens(req)?.accessToken;
    res.type('html').send(dashboardPage({ username: user.username, claims: user.claims, ...(accessToken !== undefined ? { accessToken } : {}) }));
  });

  // Signs out here and at IS: ends the local login, revokes the tokens, then sends the browser to IS's logout
  // endpoint, which returns to logout_callback_url (/signin). POST, so that another site cannot sign users out.
  app.post('/logout', strategy.logout({ revoke: true }));

  app.use((_req, res) => {
    res.status(404).type('html').send(errorPage({ title: 'Page not found', message: 'There is no page at this address.' }));
  });

  // Faults (IS unreachable, TLS, configuration): a page that says what to fix, never a stack trace.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    console.error(err);
    if (res.headersSent) return;
    if (err instanceof Wso2IsError) {
      const input: ErrorPageInput = { title: 'The sign-in could not be completed', error: err.code, message: err.message };
      if (err.error_description !== undefined) input.description = err.error_description;
      return res.status(err.status).type('html').send(errorPage(input));
    }
    res.status(500).type('html').send(errorPage({ title: 'Something went wrong', message: 'An unexpected error occurred; the details are in the server log.' }));
  });

  return Object.assign(app, { strategy, close: () => strategy.close() });
}
