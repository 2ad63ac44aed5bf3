/**
 * `npm run identity-server`: starts the local identity server alone on https://localhost:9443 with a demo
 * application and a demo tenant, and prints the strategy configuration to paste. Ctrl-C stops it.
 *
 * Environment: `IS_PORT` (default 9443), `IS_DATA_DIR` (default `.data/identity-server`),
 * `IS_APP_ORIGIN` (default `https://localhost:5000`), `IS_LOGOUT_CONSENT=1`, `IS_LOG=1` (log requests).
 */
import { startIdentityServer } from './index.js';

const appOrigin = process.env.IS_APP_ORIGIN ?? 'https://localhost:5000';
const callback = `${appOrigin}/login`;
const logoutCallback = `${appOrigin}/logout`;

const is = await startIdentityServer({
  port: Number(process.env.IS_PORT ?? 9443),
  dataDir: process.env.IS_DATA_DIR,
  logoutConsent: process.env.IS_LOGOUT_CONSENT === '1',
  logRequests: process.env.IS_LOG === '1',
  tenants: [{ domain: 'demo.com' }],
  users: [
    {
      username: 'alice@demo.com',
      password: 'alice123',
      givenName: 'Alice',
      familyName: 'Demo',
      email: 'alice@demo.com',
      groups: ['employees'],
      roles: ['Internal/everyone', 'editor'],
    },
  ],
  applications: [
    {
      clientId: 'passport_wso2is_demo',
      clientSecret: 'demo_secret_change_me',
      name: 'passport-wso2is demo',
      redirectUris: [callback, logoutCallback],
      backchannelLogoutUri: `${appOrigin}/backchannel-logout`,
    },
    {
      clientId: 'passport_wso2is_demo_tenant',
      clientSecret: 'demo_tenant_secret_change_me',
      name: 'passport-wso2is demo (tenant demo.com)',
      tenant: 'demo.com',
      redirectUris: [callback, logoutCallback],
    },
  ],
});

const snake = {
  base_url: is.origin,
  client_id: 'passport_wso2is_demo',
  client_secret: 'demo_secret_change_me',
  redirect_uri: callback,
  post_logout_redirect_uri: logoutCallback,
  scope: ['openid', 'profile', 'email'],
  certificate_path: is.caPath,
};
const camel = {
  serverOrigin: is.origin,
  clientId: 'passport_wso2is_demo',
  clientSecret: 'demo_secret_change_me',
  callbackURL: callback,
  logoutCallbackURL: logoutCallback,
  scope: ['openid', 'profile', 'email'],
  certificatePath: is.caPath,
};

console.log(`
Local WSO2-like identity server listening on ${is.origin}
  discovery (super tenant): ${is.discoveryUrl()}
  discovery (tenant demo.com): ${is.discoveryUrl('demo.com')}
  CA certificate (trust this, never disable TLS checks): ${is.caPath}

Users: admin / admin (super tenant), alice@demo.com / alice123 (tenant demo.com)
Demo application: client id passport_wso2is_demo, secret demo_secret_change_me
  callback ${callback}, logout callback ${logoutCallback}
Tenant application: client id passport_wso2is_demo_tenant, secret demo_tenant_secret_change_me (tenant: 'demo.com')

auth_config (snake_case, as in WSO2's SDK docs):
${JSON.stringify(snake, null, 2)}

Wso2IsStrategy options (camelCase):
${JSON.stringify(camel, null, 2)}

Press Ctrl-C to stop.`);

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the identity server...`);
  is.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
