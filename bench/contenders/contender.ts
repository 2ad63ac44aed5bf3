/**
 * What every contender module provides to the common app (bench/app.ts): the handlers of `GET /login` and
 * `GET /callback`, built from the same setup (same IS, client, callback URL and scopes) and the same
 * user lookup, so the apps differ only in the strategy under test.
 */
import type { RequestHandler } from 'express';
import type { Passport } from 'passport';

/** The identical configuration every contender gets. */
export interface ContenderSetup {
  /** `https://localhost:PORT` of the stand-in. */
  isOrigin: string;
  /** `{isOrigin}/oauth2/token`, WSO2's super tenant issuer. */
  issuer: string;
  /** PEM of the stand-in's CA. */
  caPem: string;
  clientId: string;
  clientSecret: string;
  /** `http://127.0.0.1:PORT/callback` of this app. */
  callbackURL: string;
  /** The same scopes for everyone: `openid profile email`. */
  scope: string[];
}

/** A contender's routes, and how to release what it holds (keep-alive pools). */
export interface ContenderRoutes {
  login: RequestHandler;
  callback: RequestHandler;
  close(): Promise<void>;
}

export type CreateContender = (setup: ContenderSetup, passport: InstanceType<typeof Passport>) => Promise<ContenderRoutes>;

/** The application user every contender's verify callback returns: found by the IS subject, as in a real app. */
export function userFor(sub: string): Express.User {
  return { id: sub } as Express.User;
}

/** Where the callback sends the browser: success and failure are told apart by the driver. */
export const CALLBACK_REDIRECTS = { successRedirect: '/', failureRedirect: '/failed' } as const;
