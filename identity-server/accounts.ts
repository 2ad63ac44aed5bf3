/**
 * Users of each tenant and the claims IS releases for them.
 *
 * Claims follow IS's OIDC dialect: `username`, `preferred_username`, `given_name`, `family_name`, `name`,
 * `email`, `phone_number`, `address`, `groups`, `roles`. Multi-valued attributes (`groups`, `roles`) are a
 * plain string when there is a single value and an array otherwise, as IS sends them. Which claims reach a
 * token is decided by scope in `provider.ts` (`claims` configuration).
 */
import { createHash } from 'node:crypto';
import { SUPER_TENANT, type UserOptions } from './options.js';

/** A user as stored by the identity server. */
export interface StoredUser {
  /** User id (UUID). */
  id: string;
  /** Username without tenant. */
  username: string;
  /** Username as IS shows it outside the super tenant: `alice@acme.com`; plain for the super tenant. */
  qualifiedUsername: string;
  tenant: string;
  userStore: string;
  password: string;
  options: UserOptions;
}

/** A stable UUID (version 5 layout) from tenant and username, so restarts keep `sub` values. */
function stableUuid(tenant: string, username: string): string {
  const hash = createHash('sha256').update(`${tenant}/${username}`).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** One value as a string, several as an array, none omitted: how IS shapes multi-valued claims. */
function multiValued(values: string[] | undefined): string | string[] | undefined {
  if (!values || values.length === 0) return undefined;
  return values.length === 1 ? values[0] : [...values];
}

/** The user directory of one tenant. */
export class UserStore {
  private readonly byName = new Map<string, StoredUser>();
  private readonly byId = new Map<string, StoredUser>();

  constructor(readonly tenant: string) {}

  add(options: UserOptions): StoredUser {
    let username = options.username;
    const suffix = `@${this.tenant}`;
    if (this.tenant !== SUPER_TENANT && username.endsWith(suffix)) username = username.slice(0, -suffix.length);
    const user: StoredUser = {
      id: options.id ?? stableUuid(this.tenant, username),
      username,
      qualifiedUsername: this.tenant === SUPER_TENANT ? username : `${username}@${this.tenant}`,
      tenant: this.tenant,
      userStore: options.userStore ?? 'PRIMARY',
      password: options.password,
      options,
    };
    if (this.byName.has(username.toLowerCase())) {
      throw new Error(`identity server: duplicate user ${user.qualifiedUsername}`);
    }
    this.byName.set(username.toLowerCase(), user);
    this.byId.set(user.id, user);
    return user;
  }

  /** The user named `alice` or `alice@tenant`, case-insensitively. */
  find(username: string): StoredUser | undefined {
    const suffix = `@${this.tenant}`.toLowerCase();
    const name = username.toLowerCase();
    return this.byName.get(name.endsWith(suffix) ? name.slice(0, -suffix.length) : name);
  }

  /**
   * Checks a username and password as typed on the login page. Accepts `alice` and `alice@acme.com` in
   * tenant `acme.com`, and a `PRIMARY/` user store prefix. Usernames are case-insensitive, passwords not.
   */
  authenticate(typed: string, password: string): StoredUser | undefined {
    let name = typed.trim();
    if (/^[^/]+\//.test(name)) name = name.slice(name.indexOf('/') + 1);
    const suffix = `@${this.tenant}`;
    if (name.toLowerCase().endsWith(suffix.toLowerCase()) && this.tenant !== SUPER_TENANT) {
      name = name.slice(0, -suffix.length);
    }
    if (this.tenant === SUPER_TENANT && name.toLowerCase().endsWith('@carbon.super')) {
      name = name.slice(0, -'@carbon.super'.length);
    }
    const user = this.byName.get(name.toLowerCase());
    return user && user.password === password ? user : undefined;
  }

  findById(id: string): StoredUser | undefined {
    return this.byId.get(id);
  }

  findBySubject(sub: string): StoredUser | undefined {
    return this.byId.get(sub) ?? [...this.byId.values()].find((u) => u.qualifiedUsername === sub);
  }
}

/** The `sub` value of a user in a tenant configured with `subject`. */
export function subjectOf(user: StoredUser, subject: 'uuid' | 'username'): string {
  return subject === 'uuid' ? user.id : user.qualifiedUsername;
}

/** Every user claim IS can release, before filtering by scope. */
export function userClaims(user: StoredUser): Record<string, unknown> {
  const o = user.options;
  const name = [o.givenName, o.familyName].filter(Boolean).join(' ') || undefined;
  const address = o.address
    ? {
        street_address: o.address.streetAddress,
        locality: o.address.locality,
        region: o.address.region,
        postal_code: o.address.postalCode,
        country: o.address.country,
      }
    : undefined;
  return {
    username: user.qualifiedUsername,
    preferred_username: user.qualifiedUsername,
    given_name: o.givenName,
    family_name: o.familyName,
    name,
    email: o.email,
    email_verified: o.email ? false : undefined,
    phone_number: o.phoneNumber,
    phone_number_verified: o.phoneNumber ? false : undefined,
    address,
    groups: multiValued(o.groups),
    roles: multiValued(o.roles),
  };
}

/** The default super tenant administrator, as shipped with IS. */
export const DEFAULT_ADMIN: UserOptions = {
  username: 'admin',
  password: 'admin',
  givenName: 'Admin',
  familyName: 'Administrator',
  email: 'admin@wso2.com',
  groups: ['admin'],
  roles: ['admin', 'Internal/everyone'],
};
