/**
 * The example's configuration: the `auth_config` of WSO2's Flask sample (`conf.py`), key for key, so the same
 * values work here. Every value can be overridden from the environment, to point the example at your own WSO2
 * Identity Server or at Asgardeo instead of the local identity server that `npm start` runs:
 *
 * | variable | auth_config key | default |
 * | --- | --- | --- |
 * | `WSO2_SERVER_ORIGIN` | `server_origin` | `https://localhost:9443` (setting it means: do not start the local IS) |
 * | `WSO2_TENANT` | `tenant` | `carbon.super` (Asgardeo: your organisation) |
 * | `WSO2_TENANT_PATH` | `tenant_path` | empty: from `tenant` (`/t/{tenant}`, none for `carbon.super`) |
 * | `WSO2_CLIENT_ID` | `client_id` | the local identity server's example application |
 * | `WSO2_CLIENT_SECRET` | `client_secret` | the local identity server's example application |
 * | `WSO2_CERTIFICATE_PATH` | `certificate_path` | the local identity server's CA (`.data/identity-server/ca.pem`); none for a real IS |
 * | `EXAMPLE_ORIGIN` | `client_host` | `https://localhost:5000` (the example listens on its port) |
 * | `WSO2_LOGIN_CALLBACK_URL` | `login_callback_url` | `{client_host}/login` |
 * | `WSO2_LOGOUT_CALLBACK_URL` | `logout_callback_url` | `{client_host}/signin` |
 */
import { join, resolve } from 'node:path';

/** The Flask sample's `auth_config`: what `Wso2IsStrategy` accepts as it is. */
export interface AuthConfig {
  /** Where IS sends the browser back after login; registered in IS as the application's callback URL. */
  login_callback_url: string;
  /** Where IS sends the browser back after logout; registered in IS too (IS has no separate setting for it). */
  logout_callback_url: string;
  /** The example's own origin. */
  client_host: string;
  client_id: string;
  client_secret: string;
  /** IS origin, without a path: `https://localhost:9443`, or `https://api.asgardeo.io`. */
  server_origin: string;
  /** `/t/{tenant}`; empty for the super tenant, or to derive it from `tenant`. */
  tenant_path: string;
  /** Tenant domain (Asgardeo: organisation name). `carbon.super` is IS's default (super) tenant. */
  tenant: string;
  /** PEM file of IS's certificate (or of its CA). Omit it for an IS with a publicly trusted certificate. */
  certificate_path?: string;
}

/** The application `npm start` registers in the local identity server. */
export const LOCAL_CLIENT_ID = 'passport_wso2is_example';
export const LOCAL_CLIENT_SECRET = 'example_secret_change_me';
/** Where `npm start` keeps the local identity server's CA, certificates and keys. */
export const LOCAL_DATA_DIR = resolve('.data/identity-server');
export const DEFAULT_ORIGIN = 'https://localhost:5000';
export const DEFAULT_SERVER_ORIGIN = 'https://localhost:9443';

/** The configuration, and whether it names the local identity server (which `npm start` then starts). */
export interface ExampleConf {
  auth_config: AuthConfig;
  /** True unless `WSO2_SERVER_ORIGIN` points the example at another IS. */
  localIdentityServer: boolean;
}

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** Reads the configuration from the environment (see the table above). */
export function loadConf(env: NodeJS.ProcessEnv = process.env): ExampleConf {
  const serverOrigin = value(env, 'WSO2_SERVER_ORIGIN');
  const localIdentityServer = serverOrigin === undefined;
  const clientId = value(env, 'WSO2_CLIENT_ID');
  const clientSecret = value(env, 'WSO2_CLIENT_SECRET');
  if (!localIdentityServer && (clientId === undefined || clientSecret === undefined)) {
    throw new Error(
      'WSO2_SERVER_ORIGIN is set, so the example uses that identity server: set WSO2_CLIENT_ID and WSO2_CLIENT_SECRET ' +
        'to the credentials of the application you registered there (see "Use it with your WSO2 IS" in README.md)',
    );
  }
  const clientHost = (value(env, 'EXAMPLE_ORIGIN') ?? DEFAULT_ORIGIN).replace(/\/+$/, '');
  const certificatePath = value(env, 'WSO2_CERTIFICATE_PATH') ?? (localIdentityServer ? join(LOCAL_DATA_DIR, 'ca.pem') : undefined);
  const auth_config: AuthConfig = {
    login_callback_url: value(env, 'WSO2_LOGIN_CALLBACK_URL') ?? `${clientHost}/login`,
    logout_callback_url: value(env, 'WSO2_LOGOUT_CALLBACK_URL') ?? `${clientHost}/signin`,
    client_host: clientHost,
    client_id: clientId ?? LOCAL_CLIENT_ID,
    client_secret: clientSecret ?? LOCAL_CLIENT_SECRET,
    server_origin: serverOrigin ?? DEFAULT_SERVER_ORIGIN,
    tenant_path: value(env, 'WSO2_TENANT_PATH') ?? '',
    tenant: value(env, 'WSO2_TENANT') ?? 'carbon.super',
    ...(certificatePath !== undefined ? { certificate_path: certificatePath } : {}),
  };
  return { auth_config, localIdentityServer };
}
