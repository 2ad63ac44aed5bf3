import type { IDToken, TokenEndpointResponse, TokenEndpointResponseHelpers } from 'openid-client';

/**
 * The tokens of a login, handed to the verify callback and kept in the session for later use (logout needs
 * the ID token; API calls need the access token).
 */
export interface Wso2IsTokens {
  /** Access token (an opaque UUID or a JWT, as the IS application is set up). */
  accessToken: string;
  /** The token type as openid-client normalises it: `bearer` (IS sends `Bearer`). */
  tokenType: string;
  /** The ID token (a JWT) as IS issued it; used as `id_token_hint` at logout. */
  idToken: string;
  /** Present only when the refresh token grant is enabled for the application in IS. */
  refreshToken?: string;
  /** When the access token expires, in seconds since the epoch (IS's `expires_in` is in seconds). */
  expiresAt?: number;
  /** Scopes IS granted. */
  scope?: string;
  /** The verified ID token claims. */
  claims: IDToken;
}

/** What the session keeps: the tokens without the claims (the profile holds those). */
export type StoredTokens = Omit<Wso2IsTokens, 'claims'>;

/** Builds {@link Wso2IsTokens} from openid-client's token response. */
export function tokensFrom(response: TokenEndpointResponse & TokenEndpointResponseHelpers, idToken: string, claims: IDToken): Wso2IsTokens {
  const tokens: Wso2IsTokens = {
    accessToken: response.access_token,
    tokenType: response.token_type,
    idToken,
    claims,
  };
  if (response.refresh_token) tokens.refreshToken = response.refresh_token;
  if (typeof response.expires_in === 'number') tokens.expiresAt = Math.floor(Date.now() / 1000) + response.expires_in;
  if (typeof response.scope === 'string') tokens.scope = response.scope;
  return tokens;
}

/** The part of the tokens kept in the session. */
export function storedTokens(tokens: Wso2IsTokens): StoredTokens {
  const { claims: _claims, ...stored } = tokens;
  return stored;
}
