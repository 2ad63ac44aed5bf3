import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { Wso2IsError } from './errors.js';
import type { Wso2IsAuthorizationOptions, Wso2IsEndpointOverrides } from './options.js';


/** The validated configuration every part of the strategy works from. */
export interface ResolvedConfig {
  name: string;
  serverOrigin: string;
  tenant: string | undefined;
  tenantPath: string;
  clientId: string;
  clientSecret: string;
  callbackURL: string;
  logoutCallbackURL: string | undefined;
  clientHost: string | undefined;
  ca: Array<string | Buffer> | undefined;
  caSource: string | undefined;
  scope: string[];
  clockTolerance: number;
  timeout: number;
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post';
  passReqToCallback: boolean;
  issuer: string;
  discoveryURL: string;
  discovery: boolean;
  discoveryTTL: number;
  endpoints: Wso2IsEndpointOverrides;
  legacyTenantIssuer: boolean;
  idTokenSigningAlg: string;
  userInfo: boolean;
  responseMode: 'query' | 'form_post';
  maxPendingLogins: number;
  pendingLoginTTL: number;
  sessionKey: string;
  authorization: Wso2IsAuthorizationOptions;
}

const SUPER_TENANT = 'carbon.super';
const SNAKE_TO_CAMEL = {
  server_origin: 'serverOrigin',
  tenant_path: 'tenantPath',
  client_id: 'clientId',
  client_secret: 'clientSecret',
  login_callback_url: 'callbackURL',
  logout_callback_url: 'logoutCallbackURL',
  client_host: 'clientHost',
  certificate_path: 'certificatePath',
} as const;
const KNOWN = new Set<string>([
  ...Object.keys(SNAKE_TO_CAMEL),
  'serverOrigin', 'tenant', 'tenantPath', 'clientId', 'clientSecret', 'callbackURL', 'logoutCallbackURL',
  'clientHost', 'ca', 'certificatePath', 'scope', 'name', 'clockTolerance', 'timeout', 'tokenEndpointAuthMethod',
  'passReqToCallback', 'issuer', 'discoveryURL', 'discovery', 'discoveryTTL', 'endpoints', 'legacyTenantIssuer',
  'idTokenSigningAlg', 'userInfo', 'responseMode', 'maxPendingLogins', 'pendingLoginTTL', 'sessionKey',
  'prompt', 'maxAge', 'loginHint', 'fidp', 'acrValues', 'uiLocales', 'claims', 'authorizationParams',
]);
const ENDPOINT_NAMES = ['authorization', 'token', 'userinfo', 'jwks', 'revocation', 'introspection', 'endSession'];
const ASYMMETRIC_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
/** Parameters the strategy owns: a configured or per-call value may not replace them. */
export const RESERVED_PARAMS = new Set([
  'state', 'nonce', 'code_challenge', 'code_challenge_method', 'redirect_uri', 'client_id', 'response_type',
  'response_mode', 'scope', 'code_verifier', 'client_secret',
]);

/** An option's name as the user may have written it: `clientId` (client_id). */
function label(camel: string): string {
  const snake = Object.entries(SNAKE_TO_CAMEL).find(([, c]) => c === camel)?.[0];
  return snake === undefined ? `\`${camel}\`` : `\`${camel}\` (${snake})`;
}

function invalid(message: string): Wso2IsError {
  return new Wso2IsError('CONFIG_INVALID', `passport-wso2is: ${message}`);
}

function suggestion(key: string): string {
  const folded = key.toLowerCase().replace(/[_-]/g, '');
  // The spelling the user seems to use: snake_case for a key with `_`, camelCase otherwise.
  const candidates = [...KNOWN].filter((k) => k.toLowerCase().replace(/[_-]/g, '') === folded);
  const match = candidates.find((k) => k.includes('_') === key.includes('_')) ?? candidates[0];
  return match ? `; did you mean \`${match}\`?` : '';
}

/** Reads an option given in either spelling; both given with different values is a mistake. */
function pick(options: Record<string, unknown>, camel: string): unknown {
  const snake = Object.entries(SNAKE_TO_CAMEL).find(([, c]) => c === camel)?.[0];
  const a = options[camel];
  const b = snake === undefined ? undefined : options[snake];
  if (a !== undefined && b !== undefined && a !== b) {
    throw invalid(`\`${camel}\` and \`${snake}\` are both set, to different values; keep one`);
  }
  return a ?? b;
}

function optionalString(options: Record<string, unknown>, key: string): string | undefined {
  const value = pick(options, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${label(key)} must be a string, got ${typeof value}`);
  return value.trim() === '' ? undefined : value.trim();
}

function requiredString(options: Record<string, unknown>, key: string, what: string): string {
  const value = optionalString(options, key);
  if (value === undefined) throw invalid(`${label(key)} is required: ${what}`);
  return value;
}

function number(options: Record<string, unknown>, key: string, fallback: number, min: number, max: number): number {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(`\`${key}\` must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function boolean(options: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(`\`${key}\` must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function httpsURL(value: string, key: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`\`${key}\` must be an absolute https URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:') {
    throw invalid(`\`${key}\` must use https (IS always serves TLS; TLS checks are never switched off), got ${url.protocol}`);
  }
  return url;
}

function parseOrigin(value: string): string {
  const url = httpsURL(value, 'serverOrigin');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
    const path = url.pathname.replace(/\/+$/, '');
    const hint = /^\/t\/[^/]+/.test(path) ? `; put \`tenantPath: '${path}'\` (or \`tenant\`) in its own option` : '';
    throw invalid(`\`serverOrigin\` must be an origin like https://localhost:9443, without a path, got ${JSON.stringify(value)}${hint}`);
  }
  return url.origin;
}

function parseTenant(tenant: string | undefined, tenantPath: string | undefined): { tenant?: string; tenantPath: string } {
  if (tenant !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(tenant)) {
    throw invalid(`\`tenant\` must be a tenant domain or organisation name such as acme.com, got ${JSON.stringify(tenant)}`);
  }
  if (tenantPath === undefined || tenantPath === '/') {
    if (tenant === undefined || tenant === SUPER_TENANT) return { tenant, tenantPath: '' };
    return { tenant, tenantPath: `/t/${tenant}` };
  }
  const path = tenantPath.replace(/\/+$/, '');
  const match = /^\/t\/([A-Za-z0-9][A-Za-z0-9._-]*)(\/o\/[A-Za-z0-9._-]+)?$/.exec(path);
  if (!match) {
    throw invalid(`\`tenantPath\` must look like /t/{tenant} or /t/{tenant}/o/{organisation id}, got ${JSON.stringify(tenantPath)}`);
  }
  const fromPath = match[1] as string;
  if (tenant !== undefined && tenant !== fromPath) {
    throw invalid(`\`tenant\` (${tenant}) and \`tenantPath\` (${tenantPath}) name different tenants; keep one`);
  }
  // The super tenant is served un-prefixed: its issuer has no /t/carbon.super.
  if (fromPath === SUPER_TENANT && !match[2]) return { tenant: SUPER_TENANT, tenantPath: '' };
  return { tenant: fromPath, tenantPath: path };
}

function parseCallback(value: string, key: string, clientHost: string | undefined): string {
  let url: URL;
  try {
    url = clientHost === undefined ? new URL(value) : new URL(value, clientHost);
  } catch {
    throw invalid(`${label(key)} must be an absolute URL (or a path with \`clientHost\` set), got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid(`\`${key}\` must be an http or https URL, got ${JSON.stringify(value)}`);
  }
  if (url.search || url.hash) {
    throw invalid(`\`${key}\` must not carry a query or fragment (IS compares it exactly and appends its own), got ${JSON.stringify(value)}`);
  }
  return url.href;
}

function parseScope(value: unknown, key = 'scope'): string[] {
  if (value === undefined) return ['openid', 'profile', 'email'];
  const list: unknown[] | null = typeof value === 'string' ? [value] : Array.isArray(value) ? value : null;
  if (!list || list.some((s) => typeof s !== 'string')) {
    throw invalid(`\`${key}\` must be a space-separated string or an array of strings`);
  }
  const scopes = (list as string[]).flatMap((s) => s.split(/\s+/)).filter((s) => s !== '');
  return ['openid', ...new Set(scopes.filter((s) => s !== 'openid'))];
}

/** Per-login scope, checked the same way as the configured one. */
export function scopeFrom(value: unknown, key: string): string[] {
  return parseScope(value, key);
}

function readCA(options: Record<string, unknown>): { ca?: Array<string | Buffer>; source?: string } {
  const inline = options['ca'];
  const path = optionalString(options, 'certificatePath');
  if (inline !== undefined && path !== undefined) throw invalid('`ca` and `certificatePath` are both set; keep one');
  let pems: Array<string | Buffer>;
  let source: string;
  if (path !== undefined) {
    try {
      pems = [readFileSync(path)];
    } catch (err) {
      throw invalid(`\`certificatePath\` ${JSON.stringify(path)} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); export IS's certificate to PEM with keytool and point at that file`);
    }
    source = `certificatePath (${path})`;
  } else if (inline !== undefined) {
    const list = Array.isArray(inline) ? inline : [inline];
    if (list.length === 0 || list.some((p) => typeof p !== 'string' && !Buffer.isBuffer(p))) {
      throw invalid('`ca` must be a PEM string, a Buffer, or an array of them');
    }
    pems = list as Array<string | Buffer>;
    source = '`ca`';
  } else {
    return {};
  }
  for (const pem of pems) {
    const text = pem.toString();
    if (!text.includes('-----BEGIN CERTIFICATE-----')) {
      throw invalid(`${source} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----; convert a DER or JKS export with keytool -exportcert -rfc)`);
    }
    try {
      new X509Certificate(text);
    } catch {
      throw invalid(`${source} holds a PEM block that is not a valid X.509 certificate`);
    }
  }
  return { ca: pems, source };
}

function parseAuthorization(options: Record<string, unknown>, where: string): Wso2IsAuthorizationOptions {
  const out: Wso2IsAuthorizationOptions = {};
  for (const key of ['prompt', 'loginHint', 'fidp'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') throw invalid(`\`${key}\`${where} must be a non-empty string`);
    out[key] = value;
  }
  if (options['maxAge'] !== undefined) out.maxAge = number(options, 'maxAge', 0, 0, 31_536_000);
  for (const key of ['acrValues', 'uiLocales'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' && !(Array.isArray(value) && value.every((v) => typeof v === 'string'))) {
      throw invalid(`\`${key}\`${where} must be a space-separated string or an array of strings`);
    }
    out[key] = value as string | string[];
  }
  const claims = options['claims'];
  if (claims !== undefined) {
    if (typeof claims === 'string') {
      try {
        JSON.parse(claims);
      } catch {
        throw invalid(`\`claims\`${where} must be an object or a JSON string`);
      }
    } else if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
      throw invalid(`\`claims\`${where} must be an object or a JSON string`);
    }
    out.claims = claims as string | Record<string, unknown>;
  }
  if (options['scope'] !== undefined && where !== '') out.scope = parseScope(options['scope'], 'scope');
  const extra = options['authorizationParams'];
  if (extra !== undefined) {
    if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
      throw invalid(`\`authorizationParams\`${where} must be an object of string values`);
    }
    for (const [k, v] of Object.entries(extra)) {
      if (typeof v !== 'string') throw invalid(`\`authorizationParams.${k}\`${where} must be a string`);
      if (RESERVED_PARAMS.has(k)) throw invalid(`\`authorizationParams.${k}\`${where} is set by the strategy itself and cannot be overridden`);
    }
    out.authorizationParams = extra as Record<string, string>;
  }
  return out;
}

/** Authorization options given to `passport.authenticate(name, options)`, validated per login. */
export function parseCallOptions(options: Record<string, unknown>): Wso2IsAuthorizationOptions {
  return parseAuthorization(options, ' (in passport.authenticate options)');
}

/**
 * Validates the options once, in the constructor, and resolves defaults. Throws a {@link Wso2IsError}
 * with code `CONFIG_INVALID` naming the option, what was wrong and what is expected. Reads `certificatePath`
 * from disk; performs no network I/O.
 */
export function resolveConfig(input: unknown): ResolvedConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid('options must be an object (camelCase options, or the auth_config of WSO2\'s Python SDK)');
  }
  const options = input as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key) && options[key] !== undefined) throw invalid(`unknown option \`${key}\`${suggestion(key)}`);
  }
  const serverOrigin = parseOrigin(optionalString(options, 'serverOrigin') ?? 'https://localhost:9443');
  const { tenant, tenantPath } = parseTenant(optionalString(options, 'tenant'), optionalString(options, 'tenantPath'));
  const clientId = requiredString(options, 'clientId', 'the client id of the application registered in IS');
  const clientSecret = requiredString(options, 'clientSecret', 'the client secret of the application registered in IS');
  const clientHostRaw = optionalString(options, 'clientHost');
  let clientHost: string | undefined;
  if (clientHostRaw !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(clientHostRaw);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw invalid(`${label('clientHost')} must be the application's origin with its scheme, e.g. https://localhost:5000, got ${JSON.stringify(clientHostRaw)}`);
    }
    clientHost = url.origin;
  }
  const callbackURL = parseCallback(
    requiredString(options, 'callbackURL', 'the login callback URL registered in IS, e.g. https://localhost:5000/login'),
    'callbackURL',
    clientHost,
  );
  const logoutRaw = optionalString(options, 'logoutCallbackURL');
  const logoutCallbackURL = logoutRaw === undefined ? undefined : parseCallback(logoutRaw, 'logoutCallbackURL', clientHost);

  const name = optionalString(options, 'name') ?? 'wso2is';
  const method = options['tokenEndpointAuthMethod'] ?? 'client_secret_basic';
  if (method !== 'client_secret_basic' && method !== 'client_secret_post') {
    throw invalid(`\`tokenEndpointAuthMethod\` must be 'client_secret_basic' or 'client_secret_post', got ${JSON.stringify(method)}`);
  }
  const issuerRaw = optionalString(options, 'issuer');
  const issuer = issuerRaw === undefined ? `${serverOrigin}${tenantPath}/oauth2/token` : httpsURL(issuerRaw, 'issuer').href.replace(/\/$/, '');
  const discoveryRaw = optionalString(options, 'discoveryURL');
  const discoveryURL = discoveryRaw === undefined
    ? `${issuer}/.well-known/openid-configuration`
    : httpsURL(discoveryRaw, 'discoveryURL').href;

  const endpointsRaw = options['endpoints'] ?? {};
  if (typeof endpointsRaw !== 'object' || endpointsRaw === null || Array.isArray(endpointsRaw)) {
    throw invalid('`endpoints` must be an object of URLs');
  }
  const endpoints: Wso2IsEndpointOverrides = {};
  for (const [k, v] of Object.entries(endpointsRaw)) {
    if (!ENDPOINT_NAMES.includes(k)) throw invalid(`unknown endpoint \`endpoints.${k}\`; known: ${ENDPOINT_NAMES.join(', ')}`);
    if (typeof v !== 'string') throw invalid(`\`endpoints.${k}\` must be a URL string`);
    endpoints[k as keyof Wso2IsEndpointOverrides] = httpsURL(v, `endpoints.${k}`).href;
  }
  const alg = options['idTokenSigningAlg'] ?? 'RS256';
  if (typeof alg !== 'string' || !ASYMMETRIC_ALGS.includes(alg)) {
    throw invalid(`\`idTokenSigningAlg\` must be one of ${ASYMMETRIC_ALGS.join(', ')} (none and HMAC are never accepted), got ${JSON.stringify(alg)}`);
  }
  const responseMode = options['responseMode'] ?? 'query';
  if (responseMode !== 'query' && responseMode !== 'form_post') {
    throw invalid(`\`responseMode\` must be 'query' or 'form_post', got ${JSON.stringify(responseMode)}`);
  }
  const { ca, source } = readCA(options);
  return {
    name,
    serverOrigin,
    tenant,
    tenantPath,
    clientId,
    clientSecret,
    callbackURL,
    logoutCallbackURL,
    clientHost,
    ca,
    caSource: source,
    scope: parseScope(options['scope']),
    clockTolerance: number(options, 'clockTolerance', 60, 0, 3600),
    timeout: number(options, 'timeout', 10_000, 100, 300_000),
    tokenEndpointAuthMethod: method,
    passReqToCallback: boolean(options, 'passReqToCallback', false),
    issuer,
    discoveryURL,
    discovery: boolean(options, 'discovery', true),
    discoveryTTL: number(options, 'discoveryTTL', 3600, 0, 31_536_000),
    endpoints,
    legacyTenantIssuer: boolean(options, 'legacyTenantIssuer', false),
    idTokenSigningAlg: alg,
    userInfo: boolean(options, 'userInfo', true),
    responseMode,
    maxPendingLogins: number(options, 'maxPendingLogins', 5, 1, 50),
    pendingLoginTTL: number(options, 'pendingLoginTTL', 600, 10, 86_400),
    sessionKey: optionalString(options, 'sessionKey') ?? `wso2is:${name}`,
    authorization: parseAuthorization(options, ''),
  };
}
