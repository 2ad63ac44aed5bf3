/**
 * Options of the local identity server: tenants, users and applications as an administrator would
 * register them in the WSO2 IS console.
 */

/** The super tenant's domain; it is served without a `/t/{tenant}` prefix. */
export const SUPER_TENANT = 'carbon.super';

/** A tenant (IS "tenant domain", Asgardeo "organisation"). */
export interface TenantOptions {
  /** Tenant domain, e.g. `acme.com`; served under `/t/acme.com`. `carbon.super` configures the super tenant. */
  domain: string;
  /**
   * Reproduce an IS 5.x legacy tenant (tenant-qualified URLs off): the discovery document under `/t/{tenant}`
   * reports the super tenant's issuer and un-prefixed authorize/token/logout URLs, `jwks_uri`, userinfo,
   * revocation and introspection keep `/t/{tenant}`, and tokens carry the super tenant's issuer while being
   * signed with this tenant's key. Default `false`. Ignored for the super tenant.
   */
  legacy?: boolean;
  /**
   * What `sub` holds: `'uuid'` (IS 7 / Asgardeo: the user's id) or `'username'` (IS 5.x: the username, with
   * `@tenant` appended for tenant users, e.g. `alice@acme.com`). Default `'uuid'`.
   */
  subject?: 'uuid' | 'username';
}

/** A user in a tenant's primary user store. */
export interface UserOptions {
  /** Username without the tenant, e.g. `alice`; `alice@acme.com` is also accepted and sets `tenant`. */
  username: string;
  password: string;
  /** Tenant domain; default the `@domain` suffix of `username` when it names a configured tenant, else super. */
  tenant?: string;
  /** User id (UUID); default a stable UUID derived from tenant and username. */
  id?: string;
  /** User store domain reported in `realm.userstore`. Default `PRIMARY`. */
  userStore?: string;
  givenName?: string;
  familyName?: string;
  email?: string;
  phoneNumber?: string;
  address?: { streetAddress?: string; locality?: string; region?: string; postalCode?: string; country?: string };
  /** Groups; released as a plain string when there is exactly one, an array when several (as IS does). */
  groups?: string[];
  /** Roles; released as a plain string when there is exactly one, an array when several. */
  roles?: string[];
}

/** A service provider / OIDC application. */
export interface ApplicationOptions {
  clientId: string;
  clientSecret: string;
  /** Tenant owning the application. Default the super tenant. Client ids must be unique across tenants. */
  tenant?: string;
  /** Application name shown on the consent page. Default the client id. */
  name?: string;
  /**
   * Callback URLs, compared exactly. IS has no separate post-logout registration: these URLs are also the
   * allowed `post_logout_redirect_uri` values, so register the logout URL here too.
   */
  redirectUris: string[];
  /** "PKCE mandatory": authorization requests without an S256 `code_challenge` are rejected. Default false. */
  pkceMandatory?: boolean;
  /** "Renew refresh token": a refresh grant returns a new refresh token. Default false (the same one). */
  renewRefreshToken?: boolean;
  /** Issue refresh tokens (refresh grant enabled). Default true. */
  refreshToken?: boolean;
  /** Skip the consent page (IS "skip login consent"). Default false: consent is asked once per IS session. */
  skipConsent?: boolean;
  /** Back-channel logout URL: logout tokens are POSTed here. HTTPS (trusting the local CA) or HTTP. */
  backchannelLogoutUri?: string;
  /** Front-channel logout URL: loaded in an iframe with `?sid=&iss=` on logout. */
  frontchannelLogoutUri?: string;
  /**
   * Extra audiences of the application's ID tokens: as in IS, `aud` then becomes an array, the client id first
   * and these after it (`azp` stays the client id). Default none: `aud` is the client id as a string.
   */
  audiences?: string[];
}

/** Options of {@link startIdentityServer}. */
export interface IdentityServerOptions {
  /** TCP port; 0 picks a free one (tests). Default 9443. */
  port?: number;
  /** Interface to listen on. Default `localhost` (loopback only). */
  host?: string;
  /** Where the CA, server certificate and signing keys are kept. Default `.data/identity-server` in the cwd. */
  dataDir?: string;
  /** Tenants besides the super tenant (which always exists). */
  tenants?: TenantOptions[];
  /** Tenant domains to serve in legacy mode; same as `legacy: true` on those tenants. */
  legacyTenants?: string[];
  /** Users. Default: `admin`/`admin` in the super tenant, added unless a super tenant `admin` is given. */
  users?: UserOptions[];
  /** Applications. */
  applications?: ApplicationOptions[];
  /** Show IS's logout consent page ("Do you want to logout?"). Default false (logout without asking). */
  logoutConsent?: boolean;
  /** Log each request to stderr. Default false. */
  logRequests?: boolean;
}
