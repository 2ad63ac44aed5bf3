/**
 * The ceiling: what the same Express + express-session + passport app costs without any OpenID Connect work.
 * `/login` stores a random value in the session and redirects to the stand-in's authorize URL; `/callback`
 * compares `state` with it, logs the user in (passport's `req.login`, which regenerates the session) and redirects.
 * It makes no request to IS.
 */
import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import { CALLBACK_REDIRECTS, userFor, type ContenderSetup, type CreateContender } from './contender.js';

type BaselineSession = { baseline?: string };

export const defaults: CreateContender = async (setup: ContenderSetup) => {
  const authorize = `${setup.isOrigin}/oauth2/authorize`;
  const redirectUri = encodeURIComponent(setup.callbackURL);
  const scope = encodeURIComponent(setup.scope.join(' '));
  const sessionOf = (req: Request): BaselineSession => req.session as unknown as BaselineSession;
  return {
    login: (req, res) => {
      const state = randomBytes(32).toString('base64url');
      sessionOf(req).baseline = state;
      // As passport's own redirect does: no content negotiation, no HTML body (Express's res.redirect has both).
      res.statusCode = 302;
      res.setHeader('Location', `${authorize}?response_type=code&client_id=${setup.clientId}&redirect_uri=${redirectUri}&scope=${scope}&state=${state}`);
      res.setHeader('Content-Length', '0');
      res.end();
    },
    callback: (req, res, next) => {
      const session = sessionOf(req);
      const expected = session.baseline;
      delete session.baseline;
      if (!expected || req.query['state'] !== expected || typeof req.query['code'] !== 'string') {
        return res.redirect(CALLBACK_REDIRECTS.failureRedirect);
      }
      req.login(userFor(`baseline-${expected.slice(0, 8)}`), (err) => (err ? next(err) : res.redirect(CALLBACK_REDIRECTS.successRedirect)));
    },
    close: async () => {},
  };
};
