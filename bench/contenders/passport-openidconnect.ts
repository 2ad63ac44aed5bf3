/**
 * passport-openidconnect (Jared Hanson's), configured with the stand-in's endpoints (it has no discovery),
 * `nonce` on, and the profile taken from the ID token (no userinfo request: its default for a 3-argument
 * verify callback). It checks the ID token's claims but not its signature, and has no PKCE.
 * Its `agent` option (handed to the `oauth` package) carries the stand-in's CA, with keep-alive, so nothing
 * process-wide (`https.globalAgent`) is needed.
 */
import { Agent } from 'node:https';
import OpenIDConnectStrategy, { type Profile, type VerifyCallback } from 'passport-openidconnect';
import { CALLBACK_REDIRECTS, userFor, type ContenderSetup, type CreateContender } from './contender.js';

export const defaults: CreateContender = async (setup: ContenderSetup, passport) => {
  const agent = new Agent({ keepAlive: true, ca: setup.caPem });
  const base = `${setup.isOrigin}/oauth2`;
  const strategy = new OpenIDConnectStrategy(
    {
      issuer: setup.issuer,
      authorizationURL: `${base}/authorize`,
      tokenURL: `${base}/token`,
      userInfoURL: `${base}/userinfo`,
      clientID: setup.clientId,
      clientSecret: setup.clientSecret,
      callbackURL: setup.callbackURL,
      scope: setup.scope.filter((s) => s !== 'openid'),
      nonce: 'true',
      agent,
    },
    (_issuer: string, profile: Profile, done: VerifyCallback) => done(null, userFor(profile.id)),
  );
  passport.use(strategy);
  return {
    login: passport.authenticate(strategy.name),
    callback: passport.authenticate(strategy.name, CALLBACK_REDIRECTS),
    close: async () => agent.destroy(),
  };
};
