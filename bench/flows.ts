/**
 * What one virtual browser does, over the driver's keep-alive connections: start a login, play IS's login page
 * (mint the code for what the redirect asked), return to the callback. Each client keeps its own session cookie.
 * Every step checks the answer, so a contender that fails a login is counted as failing, not as fast.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Dispatcher, Pool } from 'undici';
import { mintCode } from './authorization-code.js';

/** One virtual browser: its session cookie, and the user it signs in as. */
export interface Client {
  index: number;
  cookie: string | undefined;
  sub: string;
}

export class FlowError extends Error {}

function header(res: Dispatcher.ResponseData, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function keepCookie(client: Client, res: Dispatcher.ResponseData): void {
  const raw = res.headers['set-cookie'];
  const cookies = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  for (const cookie of cookies) {
    if (!cookie.startsWith('connect.sid=')) continue;
    const end = cookie.indexOf(';');
    client.cookie = end < 0 ? cookie : cookie.slice(0, end);
  }
}

async function get(pool: Pool, client: Client, path: string): Promise<{ status: number; location: string | undefined }> {
  const res = await pool.request({ method: 'GET', path, headers: client.cookie ? { cookie: client.cookie } : {} });
  keepCookie(client, res);
  await res.body.dump();
  return { status: res.statusCode, location: header(res, 'location') };
}

/** GET /login, expecting the 302 to IS's authorize endpoint; returns the authorization request's parameters. */
export async function startLogin(pool: Pool, client: Client, authorizeUrl: string): Promise<URLSearchParams> {
  const res = await get(pool, client, '/login');
  if (res.status !== 302 || !res.location?.startsWith(authorizeUrl)) {
    throw new FlowError(`/login answered ${res.status} ${res.location ?? ''}`.trim());
  }
  return new URL(res.location).searchParams;
}

/** Plays IS's login page for an authorization request: the code the callback will carry. */
export function signIn(client: Client, request: URLSearchParams): string {
  const nonce = request.get('nonce');
  const challenge = request.get('code_challenge');
  const redirectUri = request.get('redirect_uri');
  return mintCode({
    sub: client.sub,
    ...(nonce !== null ? { nonce } : {}),
    ...(challenge !== null ? { challenge } : {}),
    ...(redirectUri !== null ? { redirectUri } : {}),
  });
}

/** GET /callback with the code (and state), expecting the 302 to `/` that follows a successful login. */
export async function completeLogin(pool: Pool, client: Client, request: URLSearchParams, code: string): Promise<void> {
  const query = new URLSearchParams({ code });
  const state = request.get('state');
  if (state !== null) query.set('state', state);
  const path = new URL(request.get('redirect_uri') ?? 'http://x/callback').pathname;
  const res = await get(pool, client, `${path}?${query}`);
  if (res.status !== 302 || res.location !== '/') throw new FlowError(`/callback answered ${res.status} ${res.location ?? ''}`.trim());
}

/** A whole login: redirect, sign in at "IS", callback. */
export async function login(pool: Pool, client: Client, authorizeUrl: string): Promise<void> {
  const request = await startLogin(pool, client, authorizeUrl);
  await completeLogin(pool, client, request, signIn(client, request));
}

/**
 * The stand-in's own cost, without any app: what one login asks of IS (token request with PKCE and client
 * authentication, then userinfo), sent straight to it.
 */
export async function exchangeAtIs(pool: Pool, client: Client, clientId: string, clientSecret: string): Promise<void> {
  const verifier = randomBytes(32).toString('base64url');
  const redirectUri = 'http://127.0.0.1/callback';
  const code = mintCode({
    sub: client.sub,
    nonce: randomBytes(16).toString('base64url'),
    challenge: createHash('sha256').update(verifier).digest('base64url'),
    redirectUri,
  });
  const token = await pool.request({
    method: 'POST',
    path: '/oauth2/token',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }).toString(),
  });
  const body = (await token.body.json()) as { access_token?: string };
  if (token.statusCode !== 200 || !body.access_token) throw new FlowError(`token endpoint answered ${token.statusCode}`);
  const userinfo = await pool.request({ method: 'GET', path: '/oauth2/userinfo', headers: { authorization: `Bearer ${body.access_token}` } });
  await userinfo.body.dump();
  if (userinfo.statusCode !== 200) throw new FlowError(`userinfo answered ${userinfo.statusCode}`);
}
