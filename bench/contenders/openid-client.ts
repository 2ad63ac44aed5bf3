/**
 * openid-client v6's own Passport strategy (`openid-client/passport`), set up as its documentation shows:
 * discovery once at startup, before the app listens (the strategy needs the `Configuration`). The stand-in's
 * CA is trusted through openid-client's `customFetch` with an undici Agent (keep-alive), for this process only.
 * By default it does not verify the ID token signature in the code flow (the token came over TLS from the token
 * endpoint); the `signed` variant turns that on with `enableNonRepudiationChecks`.
 */
import * as client from 'openid-client';
import { Strategy } from 'openid-client/passport';
import { Agent } from 'undici';
import { CALLBACK_REDIRECTS, userFor, type ContenderSetup, type CreateContender } from './contender.js';

function create(verifySignature: boolean): CreateContender {
  return async (setup: ContenderSetup, passport) => {
    const agent = new Agent({ keepAliveTimeout: 30_000, connect: { ca: setup.caPem } });
    const customFetch: client.CustomFetch = (url, options) => fetch(url, { ...options, dispatcher: agent } as RequestInit);
    const config = await client.discovery(new URL(setup.issuer), setup.clientId, setup.clientSecret, undefined, {
      [client.customFetch]: customFetch,
    });
    if (verifySignature) client.enableNonRepudiationChecks(config);
    const strategy = new Strategy(
      { config, scope: setup.scope.join(' '), callbackURL: setup.callbackURL },
      (tokens, verified) => {
        const claims = tokens.claims();
        if (!claims) return verified(new Error('no ID token'));
        verified(null, userFor(claims.sub));
      },
    );
    passport.use(strategy);
    return {
      login: passport.authenticate(strategy.name),
      callback: passport.authenticate(strategy.name, CALLBACK_REDIRECTS),
      close: () => agent.close(),
    };
  };
}

/** Defaults: ID token claims checked, signature not (TLS from the token endpoint is relied on). */
export const defaults = create(false);
/** With `enableNonRepudiationChecks`: the ID token signature verified against the JWKS, like passport-wso2is. */
export const signed = create(true);
