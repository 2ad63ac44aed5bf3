import assert from 'node:assert/strict';
import { completeMetadata, wso2Endpoints } from '../lib/endpoints.js';
import { resolveConfig } from '../lib/config.js';

const CLIENT = { clientId: 'app-client', clientSecret: 's3cret', callbackURL: 'https://localhost:5000/login' } as const;
const ORG_ID = '0b4c2f7e-8d1a-4f3b-9c6e-2a5d7e9f1b3c';

describe('WSO2 endpoint layout', () => {
  describe('wso2Endpoints(origin, tenantPath)', () => {
    it('super tenant: every endpoint un-prefixed, end session under /oidc not /oauth2', () => {
      assert.deepEqual(wso2Endpoints('https://localhost:9443', ''), {
        authorization: 'https://localhost:9443/oauth2/authorize',
        token: 'https://localhost:9443/oauth2/token',
        userinfo: 'https://localhost:9443/oauth2/userinfo',
        jwks: 'https://localhost:9443/oauth2/jwks',
        revocation: 'https://localhost:9443/oauth2/revoke',
        introspection: 'https://localhost:9443/oauth2/introspect',
        endSession: 'https://localhost:9443/oidc/logout',
      });
    });

    it('tenant /t/acme.com: every endpoint under the tenant path (tenant applications use the tenant JWKS)', () => {
      assert.deepEqual(wso2Endpoints('https://localhost:9443', '/t/acme.com'), {
        authorization: 'https://localhost:9443/t/acme.com/oauth2/authorize',
        token: 'https://localhost:9443/t/acme.com/oauth2/token',
        userinfo: 'https://localhost:9443/t/acme.com/oauth2/userinfo',
        jwks: 'https://localhost:9443/t/acme.com/oauth2/jwks',
        revocation: 'https://localhost:9443/t/acme.com/oauth2/revoke',
        introspection: 'https://localhost:9443/t/acme.com/oauth2/introspect',
        endSession: 'https://localhost:9443/t/acme.com/oidc/logout',
      });
    });

    it('Asgardeo https://api.asgardeo.io + /t/myorg', () => {
      const e = wso2Endpoints('https://api.asgardeo.io', '/t/myorg');
      assert.equal(e.authorization, 'https://api.asgardeo.io/t/myorg/oauth2/authorize');
      assert.equal(e.token, 'https://api.asgardeo.io/t/myorg/oauth2/token');
      assert.equal(e.jwks, 'https://api.asgardeo.io/t/myorg/oauth2/jwks');
      assert.equal(e.endSession, 'https://api.asgardeo.io/t/myorg/oidc/logout');
    });

    it('B2B sub-organisation /t/acme.com/o/{orgId}', () => {
      const e = wso2Endpoints('https://localhost:9443', `/t/acme.com/o/${ORG_ID}`);
      assert.equal(e.authorization, `https://localhost:9443/t/acme.com/o/${ORG_ID}/oauth2/authorize`);
      assert.equal(e.token, `https://localhost:9443/t/acme.com/o/${ORG_ID}/oauth2/token`);
      assert.equal(e.userinfo, `https://localhost:9443/t/acme.com/o/${ORG_ID}/oauth2/userinfo`);
      assert.equal(e.endSession, `https://localhost:9443/t/acme.com/o/${ORG_ID}/oidc/logout`);
    });
  });

  describe('issuer and discovery URL resolved by the configuration', () => {
    const cases: Array<{ what: string; options: Record<string, unknown>; base: string }> = [
      { what: 'super tenant (no tenant)', options: {}, base: 'https://localhost:9443' },
      { what: "tenant 'acme.com'", options: { tenant: 'acme.com' }, base: 'https://localhost:9443/t/acme.com' },
      { what: "tenantPath '/t/acme.com'", options: { tenantPath: '/t/acme.com' }, base: 'https://localhost:9443/t/acme.com' },
      { what: "tenantPath '/t/acme.com/' (trailing slash)", options: { tenantPath: '/t/acme.com/' }, base: 'https://localhost:9443/t/acme.com' },
      { what: "serverOrigin with a trailing slash", options: { serverOrigin: 'https://localhost:9443/' }, base: 'https://localhost:9443' },
      { what: 'Asgardeo organisation via tenant', options: { serverOrigin: 'https://api.asgardeo.io', tenant: 'myorg' }, base: 'https://api.asgardeo.io/t/myorg' },
      { what: 'Asgardeo organisation via tenantPath', options: { serverOrigin: 'https://api.asgardeo.io', tenantPath: '/t/myorg' }, base: 'https://api.asgardeo.io/t/myorg' },
      { what: 'B2B sub-organisation', options: { tenantPath: `/t/acme.com/o/${ORG_ID}` }, base: `https://localhost:9443/t/acme.com/o/${ORG_ID}` },
    ];

    for (const { what, options, base } of cases) {
      it(`${what}: issuer ${base}/oauth2/token, discovery under it`, () => {
        const config = resolveConfig({ ...CLIENT, ...options });
        assert.equal(config.issuer, `${base}/oauth2/token`);
        assert.equal(config.discoveryURL, `${base}/oauth2/token/.well-known/openid-configuration`);
        // WSO2's issuer is its token endpoint URL: the layout and the issuer agree.
        assert.equal(wso2Endpoints(config.serverOrigin, config.tenantPath).token, config.issuer);
      });
    }

    it('a B2B tenantPath keeps the tenant as the configured tenant', () => {
      assert.equal(resolveConfig({ ...CLIENT, tenantPath: `/t/acme.com/o/${ORG_ID}` }).tenant, 'acme.com');
    });

    it('an explicit issuer (behind a proxy) also moves the default discovery URL', () => {
      const config = resolveConfig({ ...CLIENT, issuer: 'https://idp.example.com/oauth2/token' });
      assert.equal(config.issuer, 'https://idp.example.com/oauth2/token');
      assert.equal(config.discoveryURL, 'https://idp.example.com/oauth2/token/.well-known/openid-configuration');
    });

    it("an explicit discoveryURL (WSO2's /oauth2/oidcdiscovery alias) wins and leaves the issuer alone", () => {
      const discoveryURL = 'https://localhost:9443/t/acme.com/oauth2/oidcdiscovery/.well-known/openid-configuration';
      const config = resolveConfig({ ...CLIENT, tenant: 'acme.com', discoveryURL });
      assert.equal(config.discoveryURL, discoveryURL);
      assert.equal(config.issuer, 'https://localhost:9443/t/acme.com/oauth2/token');
    });
  });

  describe('completeMetadata(discovered, defaults, overrides)', () => {
    const defaults = wso2Endpoints('https://localhost:9443', '/t/acme.com');

    it('fills the endpoints discovery leaves out with the WSO2 layout', () => {
      const discovered = {
        issuer: 'https://localhost:9443/t/acme.com/oauth2/token',
        authorization_endpoint: 'https://localhost:9443/t/acme.com/oauth2/authorize',
        token_endpoint: 'https://localhost:9443/t/acme.com/oauth2/token',
        jwks_uri: 'https://localhost:9443/t/acme.com/oauth2/jwks',
      };
      const metadata = completeMetadata(discovered, defaults, {});
      assert.equal(metadata['userinfo_endpoint'], defaults.userinfo);
      assert.equal(metadata['revocation_endpoint'], defaults.revocation);
      assert.equal(metadata['introspection_endpoint'], defaults.introspection);
      assert.equal(metadata['end_session_endpoint'], defaults.endSession);
      assert.equal(metadata['issuer'], discovered.issuer);
    });

    it("keeps what discovery reports, even where it differs from the layout (IS 5.x legacy tenant's un-prefixed URLs)", () => {
      const discovered = {
        issuer: 'https://localhost:9443/oauth2/token',
        authorization_endpoint: 'https://localhost:9443/oauth2/authorize',
        token_endpoint: 'https://localhost:9443/oauth2/token',
        end_session_endpoint: 'https://localhost:9443/oidc/logout',
        jwks_uri: 'https://localhost:9443/t/acme.com/oauth2/jwks',
      };
      const metadata = completeMetadata(discovered, defaults, {});
      assert.equal(metadata['authorization_endpoint'], discovered.authorization_endpoint);
      assert.equal(metadata['token_endpoint'], discovered.token_endpoint);
      assert.equal(metadata['end_session_endpoint'], discovered.end_session_endpoint);
      assert.equal(metadata['jwks_uri'], discovered.jwks_uri);
    });

    it('configured overrides win over discovery and over the layout', () => {
      const discovered = { issuer: 'https://localhost:9443/t/acme.com/oauth2/token', token_endpoint: 'https://localhost:9443/t/acme.com/oauth2/token' };
      const overrides = { token: 'https://proxy.example.com/token', endSession: 'https://proxy.example.com/logout' };
      const metadata = completeMetadata(discovered, defaults, overrides);
      assert.equal(metadata['token_endpoint'], overrides.token);
      assert.equal(metadata['end_session_endpoint'], overrides.endSession);
      assert.equal(metadata['authorization_endpoint'], defaults.authorization);
    });

    it('replaces a discovered endpoint that is not a string (null, a number)', () => {
      const metadata = completeMetadata({ userinfo_endpoint: null, revocation_endpoint: 42 }, defaults, {});
      assert.equal(metadata['userinfo_endpoint'], defaults.userinfo);
      assert.equal(metadata['revocation_endpoint'], defaults.revocation);
    });

    it("keeps the document's other fields and does not modify the discovered object", () => {
      const discovered = { issuer: 'https://localhost:9443/t/acme.com/oauth2/token', id_token_signing_alg_values_supported: ['RS256'] };
      const before = structuredClone(discovered);
      const metadata = completeMetadata(discovered, defaults, { jwks: 'https://keys.example.com/jwks' });
      assert.deepEqual(metadata['id_token_signing_alg_values_supported'], ['RS256']);
      assert.deepEqual(discovered, before);
    });

    it('with discovery off (nothing discovered) gives the whole layout', () => {
      const metadata = completeMetadata({}, defaults, {});
      assert.deepEqual(
        [metadata['authorization_endpoint'], metadata['token_endpoint'], metadata['userinfo_endpoint'], metadata['jwks_uri'],
          metadata['revocation_endpoint'], metadata['introspection_endpoint'], metadata['end_session_endpoint']],
        [defaults.authorization, defaults.token, defaults.userinfo, defaults.jwks, defaults.revocation, defaults.introspection, defaults.endSession],
      );
    });
  });
});
