/**
 * Tokens after login: refreshing the access token before it expires, and revoking tokens at IS.
 */
import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import type { Request } from 'express';
import { Wso2IsError, findWso2IsError } from './errors.js';
import type { LifecycleContext } from './logout.js';
import { sameSubject } from './profile.js';
import { requireSession, type StrategySessionState } from './session.js';
import { cleanText, oauthError } from './oauth-errors.js';
import type { StoredTokens } from './tokens.js';

/** Options of {@link Wso2IsStrategy.refresh} and {@link Wso2IsStrategy.refreshTokens}. */
export interface RefreshOptions {
  /** Refresh when the access token expires within this many seconds. Default 60. */
  margin?: number;
  /** Refresh even if the access token is still valid. Default false. */
  force?: boolean;
}

/** How long a finished refresh is reused by requests of the same session that still hold the old refresh token. */
const REUSE_MS = 30_000;

const now = (): number => Math.floor(Date.now() / 1000);
const hash = (value: string): string => createHash('sha256').update(value).digest('base64url');

function parseOptions(options: RefreshOptions): { margin: number; force: boolean } {
  if (options === null || typeof options !== 'object') throw new Wso2IsError('CONFIG_INVALID', 'passport-wso2is: refresh options must be an object such as { margin: 60 }');
  const margin = options.margin ?? 60;
  if (typeof margin !== 'number' || !Number.isFinite(margin) || margin < 0 || margin > 86_400) {
    throw new Wso2IsError('CONFIG_INVALID', `passport-wso2is: refresh \`margin\` must be a number of seconds from 0 to 86400, got ${JSON.stringify(options.margin)}`);
  }
  if (options.force !== undefined && typeof options.force !== 'boolean') {
    throw new Wso2IsError('CONFIG_INVALID', `passport-wso2is: refresh \`force\` must be true or false, got ${JSON.stringify(options.force)}`);
  }
  return { margin, force: options.force === true };
}

/** The subject and issuer of a stored ID token (verified at login; only read here). */
function subjectOf(idToken: string): { sub?: string; iss?: string } {
  try {
    const claims = decodeJwt(idToken);
    return { ...(typeof claims.sub === 'string' ? { sub: claims.sub } : {}), ...(typeof claims.iss === 'string' ? { iss: claims.iss } : {}) };
  } catch {
    return {};
  }
}

async function refreshError(err: unknown): Promise<Wso2IsError> {
  const known = findWso2IsError(err);
  if (known) return known;
  if (err instanceof oidc.ResponseBodyError || err instanceof oidc.WWWAuthenticateChallengeError) {
    const answer = await oauthError(err);
    const description = cleanText(answer.error_description);
    const extra = { cause: err, error: answer.error, ...(description ? { error_description: description } : {}) };
    if (answer.error === 'invalid_grant') {
      return new Wso2IsError('REFRESH_FAILED', `WSO2 IS refused the refresh token${description ? ` (${description})` : ''}: it expired, was revoked, or the IS session ended. Sign the user in again.`, { ...extra, status: 401 });
    }
    return new Wso2IsError('REFRESH_FAILED', `WSO2 IS token endpoint answered the refresh with ${answer.status} ${answer.error}${description ? ` "${description}"` : ''}`, { ...extra, status: 502 });
  }
  return new Wso2IsError('REFRESH_FAILED', `the refresh response from WSO2 IS was refused: ${err instanceof Error ? err.message : String(err)}`, { cause: err, status: 502 });
}

/**
 * Refreshes the tokens of sessions, one refresh at a time per session: concurrent requests of one session share
 * the same refresh, and requests that still carry the tokens just refreshed (loaded before the refresh ended) reuse
 * its result for a few seconds (with "renew refresh token" on, IS refuses a refresh token once it has been used).
 */
export class TokenRefresher {
  private readonly inFlight = new Map<string, Promise<StoredTokens>>();
  private readonly recent = new Map<string, { from: string; tokens: StoredTokens; at: number }>();

  constructor(private readonly ctx: LifecycleContext) {}

  /** See {@link Wso2IsStrategy.refresh}. */
  async refresh(req: Request, options: RefreshOptions = {}): Promise<StoredTokens | undefined> {
    const { margin, force } = parseOptions(options);
    const session = requireSession(req);
    const ns = session[this.ctx.config.sessionKey] as StrategySessionState | undefined;
    const tokens = ns?.tokens;
    if (!ns || !tokens) return undefined;
    if (!force && (tokens.expiresAt === undefined || tokens.expiresAt - margin > now())) return tokens;
    if (!tokens.refreshToken) {
      throw new Wso2IsError('NO_REFRESH_TOKEN', 'The access token is about to expire and this session holds no refresh token: enable the Refresh Token grant for the application in WSO2 IS, or sign the user in again.', { status: 401 });
    }
    // A request that loaded its session before a refresh finished still holds the old access token.
    const from = hash(`${tokens.accessToken}\n${tokens.refreshToken}`);
    const key = (req as Request & { sessionID?: string }).sessionID ?? from;
    this.prune();
    const reused = this.recent.get(key);
    let fresh: StoredTokens;
    if (reused && reused.from === from) {
      fresh = reused.tokens;
    } else {
      let running = this.inFlight.get(key);
      if (!running) {
        running = this.run(tokens).finally(() => this.inFlight.delete(key));
        this.inFlight.set(key, running);
        running.then((result) => this.recent.set(key, { from, tokens: result, at: Date.now() }), () => undefined);
      }
      fresh = await running;
    }
    ns.tokens = fresh;
    return fresh;
  }

  private prune(): void {
    const limit = Date.now() - REUSE_MS;
    for (const [key, entry] of this.recent) if (entry.at < limit) this.recent.delete(key);
  }

  private async run(tokens: StoredTokens): Promise<StoredTokens> {
    const config = await this.ctx.issuer.get();
    let response: Awaited<ReturnType<typeof oidc.refreshTokenGrant>>;
    try {
      response = await oidc.refreshTokenGrant(config, tokens.refreshToken as string);
    } catch (err) {
      throw await refreshError(err);
    }
    const claims = response.claims();
    if (claims && response.id_token) {
      try {
        await this.ctx.issuer.verifyIdTokenSignature(config, response.id_token);
      } catch (err) {
        throw findWso2IsError(err)?.code === 'ID_TOKEN_INVALID'
          ? new Wso2IsError('REFRESH_FAILED', `the ID token returned by the refresh was refused: ${(err as Error).message}`, { status: 502 })
          : err;
      }
      const before = subjectOf(tokens.idToken);
      // IS bug: a refreshed ID token can drop (or add) the tenant domain of `sub`; anything else is another user.
      const tenant = this.ctx.config.tenant;
      const same = before.sub === undefined || sameSubject(before.sub, claims.sub, tenant) || sameSubject(claims.sub, before.sub, tenant);
      if (!same || (before.iss !== undefined && claims.iss !== before.iss)) {
        throw new Wso2IsError('REFRESH_FAILED', `the ID token returned by the refresh names another ${same ? 'issuer' : 'subject'} than the login's; it was refused`, { status: 502 });
      }
    }
    const fresh: StoredTokens = {
      accessToken: response.access_token,
      tokenType: response.token_type ?? tokens.tokenType,
      idToken: response.id_token ?? tokens.idToken,
    };
    // IS returns the same refresh token unless "renew refresh token" is on for the application.
    const refreshToken = response.refresh_token ?? tokens.refreshToken;
    if (refreshToken) fresh.refreshToken = refreshToken;
    if (typeof response.expires_in === 'number') fresh.expiresAt = now() + response.expires_in;
    const scope = typeof response.scope === 'string' ? response.scope : tokens.scope;
    if (scope !== undefined) fresh.scope = scope;
    this.ctx.log('tokens refreshed (%s refresh token)', response.refresh_token && response.refresh_token !== tokens.refreshToken ? 'new' : 'same');
    return fresh;
  }
}

/**
 * Revokes the refresh token (when there is one) and the access token at IS's revocation endpoint. IS answers
 * 200 with an empty body (content type `application/json`): that is success, it is not parsed.
 */
export async function revokeTokens(config: oidc.Configuration, tokens: Pick<StoredTokens, 'accessToken' | 'refreshToken'>): Promise<void> {
  const list: Array<[string, 'refresh_token' | 'access_token']> = [];
  if (tokens.refreshToken) list.push([tokens.refreshToken, 'refresh_token']);
  if (tokens.accessToken) list.push([tokens.accessToken, 'access_token']);
  let failure: Wso2IsError | undefined;
  for (const [token, hint] of list) {
    try {
      await oidc.tokenRevocation(config, token, { token_type_hint: hint });
    } catch (err) {
      const known = findWso2IsError(err);
      const description = err instanceof oidc.ResponseBodyError ? cleanText(err.error_description) : undefined;
      failure ??= known ?? new Wso2IsError('REVOKE_FAILED', `WSO2 IS did not revoke the ${hint.replace('_', ' ')}: ${err instanceof oidc.ResponseBodyError ? `${err.status} ${err.error}${description ? ` "${description}"` : ''}` : (err as Error).message}`, {
        cause: err,
        status: 502,
        ...(err instanceof oidc.ResponseBodyError ? { error: err.error } : {}),
      });
    }
  }
  if (failure) throw failure;
}
