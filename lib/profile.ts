/**
 * The IS user as a Passport normalised profile (the fields passport-openidconnect users know), plus the WSO2
 * fields an application needs: tenant, user store, groups and roles as arrays whatever shape IS sent, the
 * organisation (IS 7, Asgardeo), the IS session id and the authenticators used.
 */
export interface Wso2IsProfile {
  provider: 'wso2is';
  /** The ID token's `sub`: a UUID on IS 7 and Asgardeo, the username on IS 5.x (e.g. `admin@acme.com`). */
  id: string;
  /** `username`, else `preferred_username`, else a non-UUID `sub` (IS 5.x). */
  username?: string;
  /** `name`, else given and family names, else the username, else the `sub`. */
  displayName: string;
  name?: { givenName?: string; familyName?: string; middleName?: string };
  emails?: Array<{ value: string; verified?: boolean }>;
  phoneNumbers?: Array<{ value: string; verified?: boolean }>;
  photos?: Array<{ value: string }>;
  /** Tenant domain: from `realm`, `org_handle`, the configured tenant, a tenant-qualified username; `carbon.super` otherwise. */
  tenant?: string;
  /** User store (`PRIMARY`, ...): from `realm` or a `STORE/user` username. */
  userStore?: string;
  /** `groups`, always an array (IS sends one value as a plain string; IS <= 5.10 put roles here, e.g. `Internal/everyone`). */
  groups: string[];
  /** `roles` (IS 5.11+), always an array. */
  roles: string[];
  /** `application_roles` (IS 7), always an array. */
  applicationRoles: string[];
  /** IS 7 / Asgardeo organisation: `org_id`, `org_name`, `org_handle`. */
  organization?: { id?: string; name?: string; handle?: string };
  /** IS browser session id (`sid`), shared by every application in that IS session; used by back-channel logout. */
  sessionId?: string;
  /** Authenticators IS used (`amr`), e.g. `BasicAuthenticator`. */
  authMethods: string[];
  /** Every claim, from the ID token and userinfo. */
  _json: Record<string, unknown>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function bool(value: unknown): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

/** A multi-valued IS claim as an array: arrays as they are, one value as a plain string, old IS joined with `,`. */
export function claimList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v !== '');
  if (typeof value === 'string') return value.split(',').map((v) => v.trim()).filter((v) => v !== '');
  return [];
}

/** Splits IS 5.x usernames: `PRIMARY/alice`, `alice@acme.com` (tenant appended), `alice@mail.com@acme.com`. */
function splitUsername(username: string, configuredTenant: string | undefined): { userStore?: string; tenant?: string } {
  const out: { userStore?: string; tenant?: string } = {};
  const slash = username.indexOf('/');
  if (slash > 0) out.userStore = username.slice(0, slash);
  const at = username.lastIndexOf('@');
  if (at > 0) {
    const suffix = username.slice(at + 1);
    // One `@` may be an e-mail address used as username: only trust it as a tenant when it is the configured one.
    if (username.indexOf('@') !== at || suffix === configuredTenant) out.tenant = suffix;
  }
  return out;
}

/**
 * Builds the profile from the verified ID token claims and the (already subject-checked) userinfo claims.
 * `configuredTenant` is the strategy's `tenant`, if any.
 */
export function buildProfile(idClaims: Record<string, unknown>, userinfo: Record<string, unknown> | undefined, configuredTenant: string | undefined): Wso2IsProfile {
  const json: Record<string, unknown> = { ...idClaims, ...userinfo, sub: idClaims['sub'] };
  const sub = String(json['sub']);
  const username = str(json['username']) ?? str(json['preferred_username']) ?? (UUID.test(sub) ? undefined : sub);
  const fromName = username === undefined ? {} : splitUsername(username, configuredTenant);
  const realm = (typeof json['realm'] === 'object' && json['realm'] !== null ? json['realm'] : {}) as Record<string, unknown>;

  const givenName = str(json['given_name']);
  const familyName = str(json['family_name']);
  const middleName = str(json['middle_name']);
  const profile: Wso2IsProfile = {
    provider: 'wso2is',
    id: sub,
    displayName: str(json['name']) ?? ([givenName, familyName].filter(Boolean).join(' ') || username || sub),
    groups: claimList(json['groups']),
    roles: claimList(json['roles']),
    applicationRoles: claimList(json['application_roles']),
    authMethods: claimList(json['amr']),
    _json: json,
  };
  if (username !== undefined) profile.username = username;
  if (givenName || familyName || middleName) {
    profile.name = {};
    if (givenName) profile.name.givenName = givenName;
    if (familyName) profile.name.familyName = familyName;
    if (middleName) profile.name.middleName = middleName;
  }
  const email = str(json['email']);
  if (email) {
    const verified = bool(json['email_verified']);
    profile.emails = [verified === undefined ? { value: email } : { value: email, verified }];
  }
  const phone = str(json['phone_number']);
  if (phone) {
    const verified = bool(json['phone_number_verified']);
    profile.phoneNumbers = [verified === undefined ? { value: phone } : { value: phone, verified }];
  }
  const picture = str(json['picture']);
  if (picture) profile.photos = [{ value: picture }];

  const tenant = str(realm['tenant']) ?? str(json['org_handle']) ?? configuredTenant ?? fromName.tenant ?? 'carbon.super';
  profile.tenant = tenant;
  const userStore = str(realm['userstore']) ?? fromName.userStore;
  if (userStore) profile.userStore = userStore;
  const org = { id: str(json['org_id']), name: str(json['org_name']), handle: str(json['org_handle']) };
  if (org.id || org.name || org.handle) {
    profile.organization = Object.fromEntries(Object.entries(org).filter(([, v]) => v !== undefined));
  }
  const sid = str(json['sid']);
  if (sid) profile.sessionId = sid;
  return profile;
}

/**
 * Whether userinfo answered for the ID token's user: the same `sub`, or that `sub` with the tenant domain appended
 * (a known IS bug adds it in userinfo).
 */
export function sameSubject(idSub: string, userinfoSub: unknown, tenant: string | undefined): boolean {
  if (userinfoSub === idSub) return true;
  // No tenant configured or released means the super tenant, whose domain IS appends as well.
  return typeof userinfoSub === 'string' && userinfoSub === `${idSub}@${tenant ?? 'carbon.super'}`;
}
