import * as oidc from 'openid-client';
import type { Debugger } from 'debug';
import type { ResolvedConfig } from './config.js';
import { clientAuthentication } from './client-auth.js';
import { completeMetadata, wso2Endpoints } from './endpoints.js';
import { Wso2IsError, findWso2IsError } from './errors.js';
import { SigningKeys } from './signing-keys.js';
import type { Transport } from './transport.js';

const RETRY_STALE_AFTER_MS = 30_000;

/**
 * The openid-client `Configuration` of one strategy: discovered lazily on first use, shared by concurrent first
 * requests (one fetch), reused for `discoveryTTL` seconds, never cached when it failed. When a refresh fails
 * because IS is unreachable, the previous configuration keeps serving and the refresh is tried again 30 s later.
 */
export class IssuerConfiguration {
  /** The tenant's signing keys (one JWKS cache for ID tokens and logout tokens). */
  readonly keys: SigningKeys;
  private current: { config: oidc.Configuration; expiresAt: number } | undefined;
  private loading: Promise<oidc.Configuration> | undefined;
  private readonly described = new WeakMap<oidc.Configuration, { issuer: string; jwksUri: string }>();

  constructor(
    private readonly cfg: ResolvedConfig,
    private readonly transport: Transport,
    private readonly log: Debugger,
  ) {
    this.keys = new SigningKeys(transport.fetch, cfg.timeout);
  }

  /** The issuer and JWKS URI of a configuration, without openid-client's per-call copy of its metadata. */
  describe(config: oidc.Configuration): { issuer: string; jwksUri: string } {
    let described = this.described.get(config);
    if (!described) {
      const metadata = config.serverMetadata();
      described = { issuer: metadata.issuer, jwksUri: String(metadata.jwks_uri) };
      this.described.set(config, described);
    }
    return described;
  }

  /** Verifies an ID token's signature against the current tenant JWKS with the pinned algorithm. */
  async verifyIdTokenSignature(config: oidc.Configuration, token: string): Promise<void> {
    await this.keys.verifySignature(token, this.describe(config).jwksUri, this.cfg.idTokenSigningAlg);
  }

  /** The configuration, from cache when fresh. */
  get(): Promise<oidc.Configuration> {
    const current = this.current;
    if (current && Date.now() < current.expiresAt) return Promise.resolve(current.config);
    this.loading ??= this.load()
      .then(
        (config) => {
          this.current = { config, expiresAt: Date.now() + this.cfg.discoveryTTL * 1000 };
          return config;
        },
        (err: unknown) => {
          if (current && err instanceof Wso2IsError && err.code === 'IS_UNREACHABLE') {
            this.log('discovery refresh failed (%s); keeping the previous configuration', err.message);
            this.current = { config: current.config, expiresAt: Date.now() + RETRY_STALE_AFTER_MS };
            return current.config;
          }
          throw err;
        },
      )
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  private async load(): Promise<oidc.Configuration> {
    const cfg = this.cfg;
    let discovered: Record<string, unknown>;
    if (cfg.discovery) {
      discovered = await this.discover();
      this.checkIssuer(discovered['issuer']);
      const algs = discovered['id_token_signing_alg_values_supported'];
      if (Array.isArray(algs) && !algs.includes(cfg.idTokenSigningAlg)) {
        throw new Wso2IsError('CONFIG_INVALID', `IS signs ID tokens with ${algs.join(', ')}, but \`idTokenSigningAlg\` is ${cfg.idTokenSigningAlg}: set it to the algorithm chosen for this application in IS`);
      }
    } else {
      discovered = { issuer: cfg.issuer, id_token_signing_alg_values_supported: [cfg.idTokenSigningAlg] };
    }
    const metadata = completeMetadata(discovered, wso2Endpoints(cfg.serverOrigin, cfg.tenantPath), cfg.endpoints);
    const config = new oidc.Configuration(
      metadata as unknown as oidc.ServerMetadata,
      cfg.clientId,
      {
        client_secret: cfg.clientSecret,
        id_token_signed_response_alg: cfg.idTokenSigningAlg,
        [oidc.clockTolerance]: cfg.clockTolerance,
      },
      clientAuthentication(cfg.tokenEndpointAuthMethod, cfg.clientSecret),
    );
    config[oidc.customFetch] = this.transport.fetch;
    config.timeout = Math.ceil(cfg.timeout / 1000);
    // ID token signatures are verified with `keys` (verifyIdTokenSignature): one JWKS fetch shared by concurrent
    // callbacks, which openid-client's own JWKS cache does not do (measured: 60 to 92 fetches for 100 cold logins).
    this.log('using issuer %s, token endpoint %s', metadata['issuer'], metadata['token_endpoint']);
    return config;
  }

  private async discover(): Promise<Record<string, unknown>> {
    const url = this.cfg.discoveryURL;
    this.log('fetching discovery document %s', url);
    try {
      // Passing the document's URL (not the issuer) lets the issuer check below name the options that fix it.
      const config = await oidc.discovery(new URL(url), this.cfg.clientId, undefined, undefined, {
        [oidc.customFetch]: this.transport.fetch,
        timeout: Math.ceil(this.cfg.timeout / 1000),
      });
      const metadata: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(config.serverMetadata())) if (typeof v !== 'function') metadata[k] = v;
      return metadata;
    } catch (err) {
      const known = findWso2IsError(err);
      if (known) throw known;
      throw new Wso2IsError('DISCOVERY_FAILED', `the discovery document at ${url} could not be used (${(err as Error).message}): check serverOrigin and tenant, or set \`discoveryURL\``, { cause: err, status: 502 });
    }
  }

  private checkIssuer(issuer: unknown): void {
    const cfg = this.cfg;
    if (issuer === cfg.issuer) return;
    const superTenantIssuer = `${cfg.serverOrigin}/oauth2/token`;
    if (cfg.legacyTenantIssuer && cfg.tenantPath !== '' && issuer === superTenantIssuer) {
      this.log('legacy tenant: accepting the super tenant issuer %s', issuer);
      return;
    }
    const hint = cfg.tenantPath !== '' && issuer === superTenantIssuer
      ? 'This is how IS 5.x/6.x reports tenants in legacy mode (tenant-qualified URLs off): set `legacyTenantIssuer: true`, or turn tenant-qualified URLs on in IS'
      : `If IS sits behind a proxy or its hostname is set differently, set \`issuer: ${JSON.stringify(issuer)}\` (after checking that this is the IS you trust)`;
    throw new Wso2IsError('ISSUER_MISMATCH', `IS reports issuer ${JSON.stringify(issuer)} at ${cfg.discoveryURL}, but ${cfg.issuer} was expected. ${hint}`, { status: 502 });
  }
}
