/**
 * A tenant of the local identity server: its users, applications, storage, signing keys and the
 * oidc-provider instance that serves its endpoints at WSO2 IS's paths.
 *
 * Each tenant has its own provider with absolute routes (`/t/{tenant}/oauth2/authorize`, ...), its own issuer
 * (`{origin}/t/{tenant}/oauth2/token`; `{origin}/oauth2/token` for the super tenant) and its own cookie names,
 * so several tenant sessions can coexist in one browser. A legacy tenant keeps its own keys and JWKS path
 * but uses the super tenant's issuer and un-prefixed authorize/token/logout routes (the router picks the
 * tenant from the request).
 */
import './quiet.js';
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider, { type Configuration, type KoaContextWithOIDC, type ClientMetadata, type AccountClaims } from 'oidc-provider';
import { TenantStorage } from './adapter.js';
import { UserStore, userClaims, type StoredUser } from './accounts.js';
import { createSigningKey, type SigningJwk } from './keys.js';
import { SUPER_TENANT, type ApplicationOptions } from './options.js';
import { loginPageUrl, consentPageUrl, errorPageUrl } from './paths.js';
import { frontchannelLogout, logoutPage, logoutSuccessPage } from './logout.js';
import { recordGrantErrors, remapErrors } from './errors.js';
import { bindToBrowser } from './interactions.js';

/** Everything a tenant needs from the server around it. */
export interface TenantContext {
  origin: string;
  cookieSecret: string;
  logoutConsent: boolean;
  fetch: (url: string | URL, init: RequestInit) => Promise<Response>;
}

/** How a tenant path looks: `''` for the super tenant, `/t/{tenant}` otherwise. */
export function tenantBase(domain: string): string {
  return domain === SUPER_TENANT ? '' : `/t/${domain}`;
}

/** The session id IS would report: one per browser session, shared by every application in it. */
function sharedSid(sessionUid: string): string {
  const hex = createHash('sha256').update(`sid:${sessionUid}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** `isk`: IS's hash of its SSO cookie; a SHA-256 (64 hex) of the session. */
function iskFor(sid: string): string {
  return createHash('sha256').update(`isk:${sid}`).digest('hex');
}

export class Tenant {
  readonly users: UserStore;
  readonly applications = new Map<string, ApplicationOptions>();
  readonly storage = new TenantStorage();
  /** Signing keys, newest first: the first one signs. */
  keys: SigningJwk[] = [];
  provider!: Provider;
  /** The provider's Node request handler. */
  handler!: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

  constructor(
    readonly domain: string,
    readonly legacy: boolean,
    readonly subject: 'uuid' | 'username',
    private readonly context: TenantContext,
  ) {
    this.users = new UserStore(domain);
  }

  /** `/t/{tenant}`, or `''` for the super tenant. */
  get base(): string {
    return tenantBase(this.domain);
  }

  /** The issuer in tokens: the token endpoint URL (the super tenant's for a legacy tenant). */
  get issuer(): string {
    return `${this.context.origin}${this.legacy ? '' : this.base}/oauth2/token`;
  }

  /** Path prefix of the authorize, token and logout endpoints (un-prefixed for legacy tenants). */
  get frontBase(): string {
    return this.legacy ? '' : this.base;
  }

  /** The secret the tenant's cookies are signed with (also keys the login pages' browser bindings). */
  get cookieSecret(): string {
    return this.context.cookieSecret;
  }

  /** Prefix used for this tenant's cookie names. */
  get cookiePrefix(): string {
    return this.domain === SUPER_TENANT ? '' : `${this.domain.replace(/[^A-Za-z0-9]/g, '_')}.`;
  }

  userForSubject(sub: string): StoredUser | undefined {
    return this.users.findBySubject(sub);
  }

  /** Publishes a new signing key and signs with it from now on; older keys stay in the JWKS. */
  async rotateKeys(): Promise<SigningJwk> {
    const key = await createSigningKey(this.domain);
    this.keys = [key, ...this.keys];
    this.build();
    return key;
  }

  clientMetadata(app: ApplicationOptions): ClientMetadata {
    const refresh = app.refreshToken !== false;
    return {
      client_id: app.clientId,
      client_secret: app.clientSecret,
      client_name: app.name ?? app.clientId,
      redirect_uris: app.redirectUris,
      post_logout_redirect_uris: app.redirectUris,
      grant_types: refresh ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...(app.backchannelLogoutUri
        ? { backchannel_logout_uri: app.backchannelLogoutUri, backchannel_logout_session_required: true }
        : {}),
      ...(app.frontchannelLogoutUri ? { frontchannel_logout_uri: app.frontchannelLogoutUri } : {}),
    };
  }

  /** (Re)creates the provider from the current applications and keys; storage survives. */
  build(): Provider {
    return Tenant.buildProvider(this, this.context);
  }

  private static buildProvider(tenant: Tenant, context: TenantContext): Provider {
    const base = tenant.base;
    const front = tenant.frontBase;
    const names = {
      session: `${tenant.cookiePrefix}opbs`,
      interaction: `${tenant.cookiePrefix}_interaction`,
      resume: `${tenant.cookiePrefix}_interaction_resume`,
    };

    const configuration: Configuration = {
      adapter: tenant.storage.adapterClass(),
      clients: [...tenant.applications.values()].map((app) => tenant.clientMetadata(app)),
      jwks: { keys: tenant.keys as unknown as NonNullable<Configuration['jwks']>['keys'] },
      cookies: {
        names,
        keys: [context.cookieSecret],
        long: { httpOnly: true, sameSite: 'lax', signed: true },
        short: { httpOnly: true, sameSite: 'lax', signed: true },
      },
      routes: {
        authorization: `${front}/oauth2/authorize`,
        token: `${front}/oauth2/token`,
        end_session: `${front}/oidc/logout`,
        userinfo: `${base}/oauth2/userinfo`,
        jwks: `${base}/oauth2/jwks`,
        revocation: `${base}/oauth2/revoke`,
        introspection: `${base}/oauth2/introspect`,
        pushed_authorization_request: `${base}/oauth2/par`,
      },
      scopes: ['openid', 'offline_access', 'profile', 'email', 'phone', 'address', 'groups', 'roles'],
      claims: {
        openid: ['sub', 'azp', 'amr', 'realm', 'isk'],
        profile: ['username', 'preferred_username', 'name', 'given_name', 'family_name', 'groups', 'roles'],
        email: ['email', 'email_verified'],
        phone: ['phone_number', 'phone_number_verified'],
        address: ['address'],
        groups: ['groups'],
        roles: ['roles'],
        amr: null,
        acr: null,
        auth_time: null,
        sid: null,
      },
      conformIdTokenClaims: false,
      clientBasedCORS: () => true,
      clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
      responseTypes: ['code'],
      pkce: {
        required: (_ctx, client) => tenant.applications.get(client.clientId)?.pkceMandatory === true,
      },
      ttl: {
        AccessToken: 3600,
        AuthorizationCode: 300,
        IdToken: 3600,
        RefreshToken: 86400,
        Interaction: 900,
        Session: 14 * 24 * 3600,
        Grant: 14 * 24 * 3600,
      },
      issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      rotateRefreshToken: (ctx) => {
        const client = ctx.oidc.client;
        return client ? tenant.applications.get(client.clientId)?.renewRefreshToken === true : false;
      },
      loadExistingGrant: async (ctx) => {
        const client = ctx.oidc.client;
        const session = ctx.oidc.session;
        if (!client || !session?.accountId) return undefined;
        const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
        if (grantId) return ctx.oidc.provider.Grant.find(grantId);
        if (tenant.applications.get(client.clientId)?.skipConsent) {
          const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
          const scope = ctx.oidc.params?.scope;
          grant.addOIDCScope(typeof scope === 'string' ? scope : 'openid');
          await grant.save();
          return grant;
        }
        return undefined;
      },
      findAccount: (ctx: KoaContextWithOIDC, sub: string, token) => {
        const user = tenant.userForSubject(sub);
        if (!user) return undefined;
        return {
          accountId: sub,
          claims: (use: string) => {
            const claims: AccountClaims = { sub, ...userClaims(user) };
            if (use === 'id_token') {
              const clientId = ctx.oidc.client?.clientId;
              claims.azp = clientId;
              claims.realm = { tenant: tenant.domain, userstore: user.userStore };
              const fromToken = (token as { sid?: string } | undefined)?.sid;
              const sid = fromToken ?? (clientId ? ctx.oidc.session?.sidFor(clientId) : undefined);
              if (sid) claims.isk = iskFor(sid);
            }
            return claims;
          },
        };
      },
      interactions: {
        url: (ctx, interaction) => {
          // The page's sessionDataKey names the login; this browser gets the cookie that lets it use it.
          bindToBrowser(tenant, ctx, interaction);
          return interaction.prompt.name === 'login'
            ? loginPageUrl(interaction.uid, tenant.domain, interaction.params.client_id as string)
            : consentPageUrl(interaction.uid, tenant.domain, interaction.params.client_id as string);
        },
      },
      features: {
        devInteractions: { enabled: false },
        introspection: { enabled: true, allowedPolicy: () => true },
        revocation: { enabled: true, allowedPolicy: () => true },
        backchannelLogout: { enabled: true },
        claimsParameter: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: (ctx, form) => logoutPage(ctx, form, tenant, context.logoutConsent),
          postLogoutSuccessSource: (ctx) => logoutSuccessPage(ctx),
        },
      },
      extraClientMetadata: { properties: ['frontchannel_logout_uri'] },
      discovery: {
        frontchannel_logout_supported: true,
        frontchannel_logout_session_supported: true,
      },
      renderError: (ctx, out) => {
        ctx.status = 302;
        ctx.redirect(errorPageUrl(out.error, out.error_description ?? '', ctx.oidc?.route));
      },
      fetch: (url, init) => context.fetch(url instanceof Request ? url.url : url, init as RequestInit),
    };

    const provider = new Provider(tenant.issuer, configuration);
    // IS always puts `sid` in ID tokens, and it is the same for every application in one browser session.
    const ClientProto = provider.Client.prototype as unknown as { includeSid(): boolean };
    ClientProto.includeSid = () => true;
    const SessionProto = provider.Session.prototype as unknown as {
      uid: string;
      ensureClientContainer(clientId: string): void;
      sidFor(clientId: string, value?: string): string | undefined;
    };
    SessionProto.ensureClientContainer = function ensureClientContainer(clientId: string) {
      if (!this.sidFor(clientId)) this.sidFor(clientId, sharedSid(this.uid));
    };
    // IS puts at_hash and c_hash, nbf and jti in ID tokens issued by the token endpoint too.
    const IdTokenProto = provider.IdToken.prototype as unknown as {
      ctx?: KoaContextWithOIDC;
      client?: { clientId: string };
      extra: Record<string, unknown>;
      set(key: string, value: unknown): void;
      payload(): Promise<Record<string, unknown>>;
      issue(options: { use: string }): Promise<string>;
    };
    const issue = IdTokenProto.issue;
    IdTokenProto.issue = function issueLikeIs(options) {
      if (options?.use === 'idtoken') {
        // The application's extra audiences: `aud` becomes [client id, ...audiences]. oidc-provider sets `aud`
        // to the client id while signing (Object.assign over the payload), so the payload's `aud` is a
        // property that keeps the array and ignores that assignment.
        const clientId = this.client?.clientId;
        const extra = clientId ? tenant.applications.get(clientId)?.audiences ?? [] : [];
        if (clientId && extra.length > 0) {
          const aud = [clientId, ...extra.filter((a) => a !== clientId)];
          const payload = IdTokenProto.payload;
          this.payload = async function payloadWithAudiences() {
            const claims = await payload.call(this);
            Object.defineProperty(claims, 'aud', { enumerable: true, get: () => aud, set: () => undefined });
            return claims;
          };
        }
        const oidc = this.ctx?.oidc;
        if (oidc?.route === 'token') {
          const accessToken = oidc.entities.AccessToken as { jti?: string } | undefined;
          if (accessToken?.jti && !this.extra.at_hash) this.set('at_hash', accessToken.jti);
          const code = oidc.params?.code;
          if (typeof code === 'string' && !this.extra.c_hash) this.set('c_hash', code);
        }
        this.set('nbf', Math.floor(Date.now() / 1000));
        this.set('jti', randomBytes(16).toString('hex'));
      }
      return issue.call(this, options);
    };
    provider.use(remapErrors(tenant));
    provider.use(frontchannelLogout(tenant));
    tenant.provider = provider;
    recordGrantErrors(tenant);
    tenant.handler = provider.callback();
    return provider;
  }
}

/** A random secret for signing the tenants' cookies. */
export function newCookieSecret(): string {
  return randomBytes(32).toString('base64url');
}
