import * as jose from 'jose';
import type { CustomFetch } from 'openid-client';
import { Wso2IsError, findWso2IsError } from './errors.js';

/** Seconds between two JWKS fetches caused by an unknown `kid` (IS key rotation). */
const COOLDOWN_MS = 60_000;
/** How long a fetched JWKS is trusted before it is fetched again. */
const MAX_AGE_MS = 10 * 60_000;

/**
 * The tenant's signing keys, one JWKS cache per strategy shared by ID tokens (login and refresh) and back-channel
 * logout tokens. Concurrent first uses share one fetch (jose's remote key set); an unknown `kid` (IS rotated its
 * key) refetches at most once a minute; requests go through the strategy's transport, so the IS CA is trusted.
 * Tenant applications are signed with the tenant's key: the JWKS is always the tenant's `jwks_uri`.
 */
export class SigningKeys {
  private current: { uri: string; get: jose.JWTVerifyGetKey } | undefined;

  constructor(
    private readonly fetch: CustomFetch,
    private readonly timeout: number,
  ) {}

  /** The key resolver for the JWKS at `uri` (a new one when discovery reports another URI). */
  resolver(uri: string): jose.JWTVerifyGetKey {
    if (this.current?.uri !== uri) {
      this.current = {
        uri,
        get: jose.createRemoteJWKSet(new URL(uri), {
          [jose.customFetch]: this.fetch as unknown as jose.FetchImplementation,
          timeoutDuration: this.timeout,
          cooldownDuration: COOLDOWN_MS,
          cacheMaxAge: MAX_AGE_MS,
        }),
      };
    }
    return this.current.get;
  }

  /**
   * Checks the signature of an ID token with the pinned algorithm. Claims are openid-client's job; this is only
   * the signature, so that it is checked against the tenant JWKS and never skipped because the token came over TLS.
   */
  async verifySignature(token: string, uri: string, alg: string): Promise<void> {
    try {
      await jose.compactVerify(token, this.resolver(uri), { algorithms: [alg] });
    } catch (err) {
      const fault = findWso2IsError(err);
      if (fault) throw fault;
      throw new Wso2IsError('ID_TOKEN_INVALID', `the ID token's signature was refused: ${signatureReason(err)}`, { cause: err, status: 502 });
    }
  }
}

/** Why jose refused a signature, in words that never include the token. */
export function signatureReason(err: unknown): string {
  if (err instanceof jose.errors.JOSEAlgNotAllowed) return 'it is not signed with the configured algorithm (idTokenSigningAlg)';
  if (err instanceof jose.errors.JWSSignatureVerificationFailed) return 'signature verification failed';
  if (err instanceof jose.errors.JWKSNoMatchingKey) return 'no key of the tenant JWKS matches its "kid" (if IS rotated its key, the JWKS is fetched again at most once a minute)';
  if (err instanceof jose.errors.JWKSMultipleMatchingKeys) return 'several keys of the tenant JWKS match it';
  if (err instanceof jose.errors.JOSEError) return `it is not a valid signed JWT (${err.code})`;
  return err instanceof Error ? err.message : 'it could not be verified';
}
