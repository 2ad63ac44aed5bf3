/**
 * The public options of `Wso2IsStrategy`, in the words WSO2 users know. Validated once, by `resolveConfig` in
 * config.ts.
 */

/** Endpoint URLs that may be set by hand, each overriding discovery and WSO2's default layout. */
export interface Wso2IsEndpointOverrides {
  authorization?: string;
  token?: string;
  userinfo?: string;
  jwks?: string;
  revocation?: string;
  introspection?: string;
  endSession?: string;
}

/**
 * Parameters added to the authorization request, in the configuration (for every login) or in
 * `passport.authenticate('wso2is', { ... })` (for one login; they win over the configuration).
 */
export interface Wso2IsAuthorizationOptions {
  /** `prompt`: `none`, `login`, `consent` or `select_account` (space-separated for several). */
  prompt?: string;
  /** `max_age` in seconds; the ID token's `auth_time` is then checked against it. */
  maxAge?: number;
  /** `login_hint`: the username IS pre-fills. */
  loginHint?: string;
  /** WSO2's `fidp`: the federated IdP to use directly (e.g. `google`, `OrganizationSSO`), skipping IS's picker. */
  fidp?: string;
  /** `acr_values`: space-separated, or an array. */
  acrValues?: string | string[];
  /** `ui_locales`: space-separated, or an array. */
  uiLocales?: string | string[];
  /** `claims` request parameter: an object (sent as JSON) or a JSON string. */
  claims?: string | Record<string, unknown>;
  /** Scopes for this login; `openid` is always added. */
  scope?: string | string[];
  /** Any other parameter (e.g. `orgId`, `forceAuth`). Cannot override `state`, `nonce`, PKCE or `redirect_uri`. */
  authorizationParams?: Record<string, string>;
}

/**
 * Options of {@link Wso2IsStrategy}. camelCase names, or the snake_case `auth_config` keys of WSO2's Python SDK
 * (`server_origin`, `tenant_path`, `tenant`, `client_id`, `client_secret`, `login_callback_url`,
 * `logout_callback_url`, `client_host`, `certificate_path`), which work as they are.
 */
export interface Wso2IsOptions extends Omit<Wso2IsAuthorizationOptions, 'scope'> {
  /** IS origin. Default `https://localhost:9443`. Asgardeo: `https://api.asgardeo.io`. */
  serverOrigin?: string;
  /** Tenant (Asgardeo: organisation) name; becomes the tenant path `/t/{tenant}`. `carbon.super` is the un-prefixed super tenant. */
  tenant?: string;
  /** Tenant path, e.g. `/t/acme.com` or `/t/acme.com/o/{orgId}`. Default: from `tenant`, else none (super tenant). */
  tenantPath?: string;
  /** OAuth client id of the application registered in IS. Required. */
  clientId?: string;
  /** OAuth client secret. Required. */
  clientSecret?: string;
  /** The login callback URL registered in IS (absolute, or a path under `clientHost`). Required. */
  callbackURL?: string;
  /** Where IS sends the browser back after logout. Must be registered in IS too. */
  logoutCallbackURL?: string;
  /** The application's origin, e.g. `https://localhost:5000`; relative callback URLs resolve against it. */
  clientHost?: string;
  /** PEM of the CA (or the self-signed certificate) that IS's TLS certificate chains to. Trusted by this strategy only. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Path of a PEM file with that certificate (export it from IS's keystore with keytool). Read once, at construction. */
  certificatePath?: string;
  /** Scopes; `openid` is always added. Default `openid profile email`. */
  scope?: string | string[];
  /** Strategy name for `passport.authenticate(name)`. Default `wso2is`. Give each tenant its own. */
  name?: string;
  /** Allowed clock difference with IS for `exp`/`iat`/`nbf`/`auth_time`, in seconds. Default 60. */
  clockTolerance?: number;
  /** Timeout of each request to IS, in milliseconds. Default 10000. */
  timeout?: number;
  /**
   * How the client authenticates at the token endpoint. Default `client_secret_basic`. IS does not URL-decode Basic
   * credentials, so they are sent as IS expects, not form-encoded.
   */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Pass the request as first argument of the verify callback. Default false. */
  passReqToCallback?: boolean;
  /** Expected issuer. Default `{serverOrigin}{tenantPath}/oauth2/token`. Set it when a proxy makes IS report another. */
  issuer?: string;
  /** Discovery document URL. Default `{issuer}/.well-known/openid-configuration` (WSO2's path). */
  discoveryURL?: string;
  /** Fetch the discovery document. Default true; false uses WSO2's endpoint layout and {@link endpoints}. */
  discovery?: boolean;
  /** Seconds the discovery document is reused before it is fetched again. Default 3600. */
  discoveryTTL?: number;
  /** Endpoint URLs that replace the discovered (or default) ones. */
  endpoints?: Wso2IsEndpointOverrides;
  /**
   * IS 5.x/6.x legacy tenants report the super tenant's issuer (`{serverOrigin}/oauth2/token`) for a tenant.
   * Accept it (and the un-prefixed endpoints that come with it). Default false.
   */
  legacyTenantIssuer?: boolean;
  /** The one ID token signing algorithm accepted. Default `RS256` (WSO2's). `none` and HMAC are never accepted. */
  idTokenSigningAlg?: string;
  /** Fetch userinfo after the token exchange and merge its claims. Default true. */
  userInfo?: boolean;
  /** `response_mode`: `query` (default) or `form_post` (the callback is then a POST; see README for SameSite). */
  responseMode?: 'query' | 'form_post';
  /** How many logins may be pending in one session (tabs). Default 5; the oldest is dropped beyond it. */
  maxPendingLogins?: number;
  /** Seconds a pending login stays valid. Default 600 (IS's own login pages time out after about that). */
  pendingLoginTTL?: number;
  /** Where the strategy keeps its state in `req.session`. Default `wso2is:{name}`. */
  sessionKey?: string;

  server_origin?: string;
  tenant_path?: string;
  client_id?: string;
  client_secret?: string;
  login_callback_url?: string;
  logout_callback_url?: string;
  client_host?: string;
  certificate_path?: string;
}
