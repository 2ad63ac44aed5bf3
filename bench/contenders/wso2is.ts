/** passport-wso2is, from this repository's lib/, trusting the stand-in's CA through its own `ca` option. */
import { Wso2IsStrategy } from '../../lib/index.js';
import { CALLBACK_REDIRECTS, userFor, type ContenderSetup, type CreateContender } from './contender.js';

function create(userInfo: boolean): CreateContender {
  return async (setup: ContenderSetup, passport) => {
    const strategy = new Wso2IsStrategy(
      {
        serverOrigin: setup.isOrigin,
        clientId: setup.clientId,
        clientSecret: setup.clientSecret,
        callbackURL: setup.callbackURL,
        ca: setup.caPem,
        scope: setup.scope,
        userInfo,
      },
      (_tokens, profile, done) => done(null, userFor(profile.id)),
    );
    passport.use(strategy);
    return {
      login: passport.authenticate(strategy.name),
      callback: passport.authenticate(strategy.name, CALLBACK_REDIRECTS),
      close: () => strategy.close(),
    };
  };
}

/** As configured by default: the userinfo request after the token exchange, its claims merged into the profile. */
export const withUserInfo = create(true);
/** `userInfo: false`: the ID token's claims only, as the peers do. */
export const withoutUserInfo = create(false);
