import assert from 'node:assert/strict';
import { buildProfile, claimList, sameSubject } from '../lib/profile.js';
import { resolveConfig } from '../lib/config.js';

const ISS = 'https://localhost:9443/oauth2/token';
const UUID_SUB = '4f3c1f7a-6b2e-4d8a-9c1b-2e7f5a9d0c3e';

/** The claims every IS ID token carries, around the user claims of one test. */
function idToken(claims: Record<string, unknown>): Record<string, unknown> {
  return { iss: ISS, aud: 'app-client', azp: 'app-client', exp: 1_900_000_000, iat: 1_899_996_400, amr: ['BasicAuthenticator'], ...claims };
}

describe('IS profile', () => {
  describe('IS 7 / Asgardeo claims', () => {
    const claims = idToken({
      sub: UUID_SUB,
      username: 'alice',
      given_name: 'Alice',
      family_name: 'Liddell',
      email: 'alice@example.com',
      email_verified: true,
      org_id: '10084a8d-113f-4211-a0d5-efe36b082211',
      org_name: 'Acme Corp',
      org_handle: 'acme.com',
      application_roles: ['viewer', 'editor'],
      roles: ['everyone'],
      sid: '2a9d6f1c-5c8e-4b3a-8f2d-1e6b7c9a0d4f',
    });

    it('keeps the UUID sub as id and takes the username claim as username', () => {
      const p = buildProfile(claims, undefined, undefined);
      assert.equal(p.provider, 'wso2is');
      assert.equal(p.id, UUID_SUB);
      assert.equal(p.username, 'alice');
    });

    it('exposes the organisation and takes its handle as tenant', () => {
      const p = buildProfile(claims, undefined, undefined);
      assert.deepEqual(p.organization, { id: '10084a8d-113f-4211-a0d5-efe36b082211', name: 'Acme Corp', handle: 'acme.com' });
      assert.equal(p.tenant, 'acme.com');
    });

    it('gives application_roles, roles, amr and sid their own fields', () => {
      const p = buildProfile(claims, undefined, undefined);
      assert.deepEqual(p.applicationRoles, ['viewer', 'editor']);
      assert.deepEqual(p.roles, ['everyone']);
      assert.deepEqual(p.groups, []);
      assert.deepEqual(p.authMethods, ['BasicAuthenticator']);
      assert.equal(p.sessionId, '2a9d6f1c-5c8e-4b3a-8f2d-1e6b7c9a0d4f');
    });

    it('fills the Passport normalised fields', () => {
      const p = buildProfile(claims, undefined, undefined);
      assert.deepEqual(p.name, { givenName: 'Alice', familyName: 'Liddell' });
      assert.equal(p.displayName, 'Alice Liddell');
      assert.deepEqual(p.emails, [{ value: 'alice@example.com', verified: true }]);
    });

    it('a UUID sub with no username claim does not become the username', () => {
      const p = buildProfile(idToken({ sub: UUID_SUB }), undefined, undefined);
      assert.equal(p.username, undefined);
      assert.equal(p.organization, undefined);
    });

    it('an upper-case UUID sub is still recognised as a UUID', () => {
      assert.equal(buildProfile(idToken({ sub: UUID_SUB.toUpperCase() }), undefined, undefined).username, undefined);
    });
  });

  describe('IS 5.x usernames as sub', () => {
    it("'admin@wso2.com' in the configured tenant wso2.com: username kept whole, tenant wso2.com", () => {
      const p = buildProfile(idToken({ sub: 'admin@wso2.com' }), undefined, 'wso2.com');
      assert.equal(p.id, 'admin@wso2.com');
      assert.equal(p.username, 'admin@wso2.com');
      assert.equal(p.tenant, 'wso2.com');
    });

    it("'PRIMARY/admin': the user store is split off", () => {
      const p = buildProfile(idToken({ sub: 'PRIMARY/admin' }), undefined, undefined);
      assert.equal(p.username, 'PRIMARY/admin');
      assert.equal(p.userStore, 'PRIMARY');
      assert.equal(p.tenant, 'carbon.super');
    });

    it("'user@mail.com@tenant' (e-mail username in a tenant): the last @ part is the tenant", () => {
      const p = buildProfile(idToken({ sub: 'user@mail.com@acme.com' }), undefined, undefined);
      assert.equal(p.username, 'user@mail.com@acme.com');
      assert.equal(p.tenant, 'acme.com');
    });

    it('an e-mail address used as username in the super tenant does NOT become a tenant', () => {
      const p = buildProfile(idToken({ sub: 'bob@gmail.com', email: 'bob@gmail.com' }), undefined, undefined);
      assert.equal(p.username, 'bob@gmail.com');
      assert.equal(p.tenant, 'carbon.super');
    });

    it('an e-mail address used as username in another configured tenant does not override that tenant', () => {
      const p = buildProfile(idToken({ sub: 'bob@gmail.com' }), undefined, 'acme.com');
      assert.equal(p.tenant, 'acme.com');
    });

    it('a username of the form STORE/user@tenant gives both user store and tenant', () => {
      const p = buildProfile(idToken({ sub: 'LDAP/carol@mail.com@acme.com' }), undefined, undefined);
      assert.equal(p.userStore, 'LDAP');
      assert.equal(p.tenant, 'acme.com');
    });

    it('preferred_username is used when username is absent, before the sub', () => {
      const p = buildProfile(idToken({ sub: 'admin@wso2.com', preferred_username: 'admin' }), undefined, 'wso2.com');
      assert.equal(p.username, 'admin');
    });
  });

  describe('realm {tenant, userstore}', () => {
    it('wins over org_handle, the configured tenant and what the username says', () => {
      const p = buildProfile(
        idToken({ sub: 'PRIMARY/dave@other.com', org_handle: 'handle.org', realm: { tenant: 'realm.com', userstore: 'SECONDARY' } }),
        undefined,
        'configured.com',
      );
      assert.equal(p.tenant, 'realm.com');
      assert.equal(p.userStore, 'SECONDARY');
    });

    it('a realm that is not an object is ignored', () => {
      const p = buildProfile(idToken({ sub: 'PRIMARY/dave', realm: 'realm.com' }), undefined, 'configured.com');
      assert.equal(p.tenant, 'configured.com');
      assert.equal(p.userStore, 'PRIMARY');
    });
  });

  describe('groups and roles in every shape IS sends', () => {
    it('one value as a plain string', () => {
      const p = buildProfile(idToken({ sub: UUID_SUB, groups: 'admin', roles: 'Internal/everyone' }), undefined, undefined);
      assert.deepEqual(p.groups, ['admin']);
      assert.deepEqual(p.roles, ['Internal/everyone']);
    });

    it('an array', () => {
      const p = buildProfile(idToken({ sub: UUID_SUB, groups: ['admin', 'dev'], roles: ['Internal/everyone', 'Application/app'] }), undefined, undefined);
      assert.deepEqual(p.groups, ['admin', 'dev']);
      assert.deepEqual(p.roles, ['Internal/everyone', 'Application/app']);
    });

    it('a comma-joined string (older IS)', () => {
      const p = buildProfile(idToken({ sub: UUID_SUB, groups: 'Internal/everyone,admin, dev', roles: 'a,b' }), undefined, undefined);
      assert.deepEqual(p.groups, ['Internal/everyone', 'admin', 'dev']);
      assert.deepEqual(p.roles, ['a', 'b']);
    });

    it('absent: empty arrays, never undefined', () => {
      const p = buildProfile(idToken({ sub: UUID_SUB }), undefined, undefined);
      assert.deepEqual([p.groups, p.roles, p.applicationRoles], [[], [], []]);
    });

    it('claimList drops non-string and empty entries', () => {
      assert.deepEqual(claimList(['a', '', 3, null, 'b']), ['a', 'b']);
      assert.deepEqual(claimList('a,,b,'), ['a', 'b']);
      assert.deepEqual(claimList(''), []);
      assert.deepEqual(claimList(undefined), []);
      assert.deepEqual(claimList({ 0: 'a' }), []);
    });
  });

  describe('email_verified / phone_number_verified', () => {
    for (const [raw, expected] of [['true', true], [true, true], ['false', false], [false, false]] as const) {
      it(`${JSON.stringify(raw)} gives verified: ${expected}`, () => {
        const p = buildProfile(idToken({ sub: UUID_SUB, email: 'a@example.com', email_verified: raw }), undefined, undefined);
        assert.deepEqual(p.emails, [{ value: 'a@example.com', verified: expected }]);
      });
    }

    it('absent or unreadable: no verified flag at all', () => {
      assert.deepEqual(buildProfile(idToken({ sub: UUID_SUB, email: 'a@example.com' }), undefined, undefined).emails, [{ value: 'a@example.com' }]);
      assert.deepEqual(buildProfile(idToken({ sub: UUID_SUB, email: 'a@example.com', email_verified: 'yes' }), undefined, undefined).emails, [{ value: 'a@example.com' }]);
    });

    it('phone_number_verified as a string', () => {
      const p = buildProfile(idToken({ sub: UUID_SUB, phone_number: '+94771234567', phone_number_verified: 'true' }), undefined, undefined);
      assert.deepEqual(p.phoneNumbers, [{ value: '+94771234567', verified: true }]);
    });
  });

  describe('displayName fallbacks', () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['name first', { sub: UUID_SUB, name: 'Dr Alice L.', given_name: 'Alice', family_name: 'Liddell', username: 'alice' }, 'Dr Alice L.'],
      ['then given and family names', { sub: UUID_SUB, given_name: 'Alice', family_name: 'Liddell', username: 'alice' }, 'Alice Liddell'],
      ['then the given name alone', { sub: UUID_SUB, given_name: 'Alice', username: 'alice' }, 'Alice'],
      ['then the username', { sub: UUID_SUB, username: 'alice' }, 'alice'],
      ['then the sub', { sub: UUID_SUB }, UUID_SUB],
      ['a blank name is skipped', { sub: UUID_SUB, name: '   ', username: 'alice' }, 'alice'],
    ];
    for (const [what, claims, expected] of cases) {
      it(what, () => {
        assert.equal(buildProfile(idToken(claims), undefined, undefined).displayName, expected);
      });
    }
  });

  describe('_json and userinfo', () => {
    it('_json holds every claim of the ID token and of userinfo', () => {
      const id = idToken({ sub: UUID_SUB, nonce: 'n-1' });
      const p = buildProfile(id, { sub: UUID_SUB, email: 'alice@example.com', country: 'LK' }, undefined);
      for (const [k, v] of Object.entries(id)) assert.deepEqual(p._json[k], v, k);
      assert.equal(p._json['email'], 'alice@example.com');
      assert.equal(p._json['country'], 'LK');
    });

    it('userinfo claims complete the profile', () => {
      const p = buildProfile(idToken({ sub: UUID_SUB }), { sub: UUID_SUB, email: 'alice@example.com', groups: 'admin' }, undefined);
      assert.deepEqual(p.emails, [{ value: 'alice@example.com' }]);
      assert.deepEqual(p.groups, ['admin']);
    });

    it("userinfo cannot replace the ID token's sub (IS's tenant-suffixed userinfo sub, or anything else)", () => {
      const p = buildProfile(idToken({ sub: 'alice' }), { sub: 'alice@acme.com' }, 'acme.com');
      assert.equal(p.id, 'alice');
      assert.equal(p._json['sub'], 'alice');
      assert.equal(p.username, 'alice');
    });
  });

  describe('sameSubject(idSub, userinfoSub, tenant)', () => {
    it('accepts the same sub', () => {
      assert.equal(sameSubject(UUID_SUB, UUID_SUB, undefined), true);
      assert.equal(sameSubject('alice', 'alice', 'acme.com'), true);
    });

    it('accepts the tenant-suffixed userinfo sub (known IS bug) for the strategy tenant', () => {
      assert.equal(sameSubject('alice', 'alice@acme.com', 'acme.com'), true);
    });

    it('refuses the suffix of another tenant', () => {
      assert.equal(sameSubject('alice', 'alice@other.com', 'acme.com'), false);
    });

    it('with no tenant configured, refuses a sub suffixed with some tenant', () => {
      assert.equal(sameSubject('alice', 'alice@acme.com', undefined), false);
    });

    it('refuses another user, a doubled suffix, and a non-string sub', () => {
      assert.equal(sameSubject('alice', 'bob', 'acme.com'), false);
      assert.equal(sameSubject('alice', 'alice@acme.com@acme.com', 'acme.com'), false);
      assert.equal(sameSubject('alice', undefined, 'acme.com'), false);
      assert.equal(sameSubject('1', 1, undefined), false);
    });

    it("refuses a sub that only starts with the ID token's sub", () => {
      assert.equal(sameSubject('alice', 'alice2@acme.com', 'acme.com'), false);
      assert.equal(sameSubject('ali', 'alice', undefined), false);
    });

    it("accepts '@carbon.super' when the super tenant is configured explicitly", () => {
      assert.equal(sameSubject('admin', 'admin@carbon.super', 'carbon.super'), true);
    });

    // BUG: the super tenant can be configured two ways that resolve to the same IS (no tenant at all, or
    // `tenant: 'carbon.super'`), but the strategy passes `config.tenant` to sameSubject, which is undefined in the
    // first case. So with the default configuration, IS's tenant-suffixed userinfo sub (`admin@carbon.super` for an
    // ID token sub `admin`) is refused (USERINFO_FAILED), while it is accepted with `tenant: 'carbon.super'`.
    // buildProfile already treats "no tenant" as carbon.super; sameSubject (or the strategy) should too.
    it("accepts '@carbon.super' for the default (unconfigured) super tenant as for tenant: 'carbon.super'", () => {
      const client = { clientId: 'c', clientSecret: 's', callbackURL: 'https://localhost:5000/login' };
      const byDefault = resolveConfig(client).tenant;
      const explicit = resolveConfig({ ...client, tenant: 'carbon.super' }).tenant;
      assert.equal(sameSubject('admin', 'admin@carbon.super', explicit), true);
      assert.equal(sameSubject('admin', 'admin@carbon.super', byDefault), true);
    });
  });
});
