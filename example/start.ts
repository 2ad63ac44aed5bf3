/**
 * `npm start`: the local identity server on https://localhost:9443 with the example's application registered,
 * and the example on https://localhost:5000. Ctrl-C stops both.
 *
 * With `WSO2_SERVER_ORIGIN` (and `WSO2_CLIENT_ID`, `WSO2_CLIENT_SECRET`...) set, the example uses that identity
 * server (your WSO2 IS, or Asgardeo) and starts no local one: see example/conf.ts for every variable.
 * `IS_LOGOUT_CONSENT=1` makes the local identity server ask "Do you want to logout?", as IS can be set up to.
 * `EXAMPLE_TLS_CERT` and `EXAMPLE_TLS_KEY` (PEM files) replace the example's certificate.
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { startIdentityServer, type IdentityServer } from '../identity-server/index.js';
import { createExampleApp, type ExampleApp } from './app.js';
import { LOCAL_DATA_DIR, loadConf } from './conf.js';
import { listenHttps, localCertificate, type HttpsListener } from './https.js';

function portOf(origin: string): number {
  const url = new URL(origin);
  return url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
}

function explain(err: unknown, what: string, port: number): never {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    console.error(`Port ${port} is already in use, so ${what} cannot start there. Is \`npm start\` or \`npm run identity-server\` already running? Stop it and try again.`);
  } else {
    console.error(`${what} could not start:`, err);
  }
  process.exit(1);
}

const { auth_config, localIdentityServer } = (() => {
  try {
    return loadConf();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
})();

const certificate = process.env.EXAMPLE_TLS_CERT && process.env.EXAMPLE_TLS_KEY
  ? { cert: await readFile(process.env.EXAMPLE_TLS_CERT, 'utf8'), key: await readFile(process.env.EXAMPLE_TLS_KEY, 'utf8'), caPath: undefined }
  : await localCertificate(LOCAL_DATA_DIR);

const examplePort = portOf(auth_config.client_host);
const listener: HttpsListener = await listenHttps({ ...certificate, port: examplePort }).catch((err: unknown) =>
  explain(err, 'the example', examplePort),
);

let is: IdentityServer | undefined;
if (localIdentityServer) {
  const isPort = portOf(auth_config.server_origin);
  is = await startIdentityServer({
    port: isPort,
    dataDir: LOCAL_DATA_DIR,
    logoutConsent: process.env.IS_LOGOUT_CONSENT === '1',
    applications: [
      {
        clientId: auth_config.client_id,
        clientSecret: auth_config.client_secret,
        name: 'passport-wso2is example',
        // IS has no separate logout URL setting: the logout callback is registered as a callback URL too.
        redirectUris: [auth_config.login_callback_url, auth_config.logout_callback_url],
        backchannelLogoutUri: `${auth_config.client_host}/backchannel-logout`,
      },
    ],
  }).catch(async (err: unknown) => {
    await listener.close();
    return explain(err, 'the local identity server', isPort);
  });
}

const app: ExampleApp = createExampleApp(auth_config, process.env.SESSION_SECRET ? { sessionSecret: process.env.SESSION_SECRET } : {});
listener.serve(app);

const caPath = certificate.caPath && relative(process.cwd(), certificate.caPath);
const lines = [
  '',
  `passport-wso2is example: open ${auth_config.client_host}/`,
  '',
  is
    ? `Local WSO2-like identity server: ${is.origin} (application "${auth_config.client_id}" registered)`
    : `Identity server: ${auth_config.server_origin}${auth_config.tenant_path || (auth_config.tenant !== 'carbon.super' ? `/t/${auth_config.tenant}` : '')} (client id ${auth_config.client_id})`,
  is ? 'Sign in with the demo credentials: admin / admin' : '',
  '',
  caPath
    ? `Both use a localhost certificate issued by the local CA ${caPath}. Your browser warns about it unless you\n` +
      `trust that file (e.g. Chrome: Settings > Privacy and security > Security > Manage certificates > Authorities),\n` +
      `or accept the warning for localhost once. TLS checks between the example and IS stay on.`
    : '',
  '',
  'Press Ctrl-C to stop.',
];
console.log(lines.filter((line, i) => line !== '' || lines[i - 1] !== '').join('\n'));

let stopping = false;
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the example${is ? ' and the identity server' : ''}...`);
  Promise.all([listener.close(), app.close(), is?.stop()]).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
