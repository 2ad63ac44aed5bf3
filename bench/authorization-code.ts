/**
 * The stand-in's authorization codes and access tokens are self-contained: the driver, playing the browser at
 * IS's login page, mints the code from what the login redirect asked for (nonce, PKCE challenge, redirect URI),
 * so no side channel to the stand-in is needed and the stand-in only ever sees the contenders' own requests.
 * A random suffix makes each code unique; the stand-in accepts each code once.
 */
import { randomBytes } from 'node:crypto';

/** What IS remembers about an authorization request between the login page and the token request. */
export interface CodeGrant {
  /** The user who signed in. */
  sub: string;
  /** `nonce` of the authorization request, when one was sent. */
  nonce?: string;
  /** S256 `code_challenge`, when PKCE was used. */
  challenge?: string;
  /** `redirect_uri` of the authorization request. */
  redirectUri?: string;
}

function seal(payload: unknown): string {
  return `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${randomBytes(16).toString('base64url')}`;
}

function open(token: string): unknown {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  try {
    return JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString()) as unknown;
  } catch {
    return undefined;
  }
}

/** A one-time code for the given grant. */
export function mintCode(grant: CodeGrant): string {
  return seal(grant);
}

/** The grant inside a code, or undefined when the code is not one of ours. */
export function readCode(code: string): CodeGrant | undefined {
  const grant = open(code) as Partial<CodeGrant> | undefined;
  return grant && typeof grant.sub === 'string' ? (grant as CodeGrant) : undefined;
}

/** An opaque-looking access token that names its user. */
export function mintAccessToken(sub: string): string {
  return seal({ sub });
}

/** The user an access token was issued to. */
export function readAccessToken(token: string): string | undefined {
  const payload = open(token) as { sub?: unknown } | undefined;
  return typeof payload?.sub === 'string' ? payload.sub : undefined;
}
