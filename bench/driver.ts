/**
 * The load driver (a forked process of its own, so its CPU is not counted in any app): N virtual clients in a
 * closed loop over keep-alive connections (one undici Pool per target, one connection per client), each with its
 * own session cookie. It measures operations per second and each operation's latency.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { FlowError, exchangeAtIs, login, startLogin, completeLogin, signIn, type Client } from './flows.js';
import { serve } from './rpc.js';
import { summarize, type LatencySummary } from './stats.js';

/** What an operation is: a login redirect, a whole login, or (IS alone) a token exchange plus userinfo. */
export type Operation = 'redirect' | 'login' | 'is-exchange';

export interface LoadParams {
  origin: string;
  /** `{IS}/oauth2/authorize`: where a login redirect must point. */
  authorizeUrl: string;
  operation: Operation;
  clients: number;
  /** Run for this long (then let the operations in flight finish)... */
  durationMs?: number;
  /** ...or until this many operations were started. */
  count?: number;
  /** Every operation starts without a cookie: a new browser per login. */
  freshSessions?: boolean;
  /** For `is-exchange`: the CA and client credentials. */
  caPem?: string;
  clientId?: string;
  clientSecret?: string;
}

export interface LoadResult {
  ops: number;
  failures: number;
  firstFailure?: string;
  elapsedMs: number;
  opsPerSec: number;
  latency: LatencySummary;
}

export interface BurstResult {
  logins: number;
  failures: number;
  firstFailure?: string;
  redirectLatency: LatencySummary;
  callbackLatency: LatencySummary;
}

export type DriverApi = {
  load: (params: LoadParams) => Promise<LoadResult>;
  burst: (params: { origin: string; authorizeUrl: string; clients: number }) => Promise<BurstResult>;
  pendingLogin: (params: { origin: string; authorizeUrl: string }) => Promise<string>;
  forget: (origin: string) => Promise<void>;
};

const pools = new Map<string, Pool>();
const clientsByOrigin = new Map<string, Client[]>();

function poolFor(origin: string, connections: number, caPem?: string): Pool {
  let pool = pools.get(origin);
  if (!pool) {
    pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 120_000, ...(caPem ? { connect: { ca: caPem } } : {}) });
    pools.set(origin, pool);
  }
  return pool;
}

/** The same virtual clients (and cookies) every time the same app is loaded. */
function clientsFor(origin: string, n: number): Client[] {
  const clients = clientsByOrigin.get(origin) ?? [];
  while (clients.length < n) clients.push({ index: clients.length, cookie: undefined, sub: `bench-user-${clients.length}` });
  clientsByOrigin.set(origin, clients);
  return clients.slice(0, n);
}

function describe(err: unknown): string {
  return err instanceof FlowError ? err.message : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

async function load(params: LoadParams): Promise<LoadResult> {
  const pool = poolFor(params.origin, params.clients, params.caPem);
  const clients = clientsFor(params.origin, params.clients);
  const latencies: number[] = [];
  let started = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const begin = performance.now();
  const end = params.durationMs !== undefined ? begin + params.durationMs : Number.POSITIVE_INFINITY;
  const limit = params.count ?? Number.POSITIVE_INFINITY;
  const operation = async (client: Client): Promise<void> => {
    switch (params.operation) {
      case 'redirect':
        await startLogin(pool, client, params.authorizeUrl);
        return;
      case 'login':
        await login(pool, client, params.authorizeUrl);
        return;
      case 'is-exchange':
        await exchangeAtIs(pool, client, params.clientId ?? '', params.clientSecret ?? '');
        return;
    }
  };
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < end && started < limit) {
        started++;
        if (params.freshSessions) client.cookie = undefined;
        const t0 = performance.now();
        try {
          await operation(client);
          latencies.push(performance.now() - t0);
        } catch (err) {
          failures++;
          firstFailure ??= describe(err);
          client.cookie = undefined;
        }
      }
    }),
  );
  const elapsedMs = performance.now() - begin;
  return {
    ops: latencies.length,
    failures,
    ...(firstFailure !== undefined ? { firstFailure } : {}),
    elapsedMs,
    opsPerSec: (latencies.length / elapsedMs) * 1000,
    latency: summarize(latencies),
  };
}

/** Cold start: `clients` new browsers start a login at the same moment, then all return to the callback at once. */
async function burst(params: { origin: string; authorizeUrl: string; clients: number }): Promise<BurstResult> {
  const pool = new Pool(params.origin, { connections: params.clients, pipelining: 1 });
  try {
    const clients: Client[] = Array.from({ length: params.clients }, (_, index) => ({ index, cookie: undefined, sub: `cold-user-${index}` }));
    let failures = 0;
    let firstFailure: string | undefined;
    const fail = (err: unknown): undefined => {
      failures++;
      firstFailure ??= describe(err);
      return undefined;
    };
    const redirectLatency: number[] = [];
    const requests = await Promise.all(
      clients.map(async (client) => {
        const t0 = performance.now();
        const request = await startLogin(pool, client, params.authorizeUrl).catch(fail);
        redirectLatency.push(performance.now() - t0);
        return request;
      }),
    );
    const callbackLatency: number[] = [];
    let logins = 0;
    await Promise.all(
      clients.map(async (client, i) => {
        const request = requests[i];
        if (!request) return;
        const t0 = performance.now();
        try {
          await completeLogin(pool, client, request, signIn(client, request));
          logins++;
          callbackLatency.push(performance.now() - t0);
        } catch (err) {
          fail(err);
        }
      }),
    );
    return {
      logins,
      failures,
      ...(firstFailure !== undefined ? { firstFailure } : {}),
      redirectLatency: summarize(redirectLatency),
      callbackLatency: summarize(callbackLatency),
    };
  } finally {
    await pool.close();
  }
}

/** One new browser starts a login and stops there: its cookie names a session holding one pending login. */
async function pendingLogin(params: { origin: string; authorizeUrl: string }): Promise<string> {
  const pool = new Pool(params.origin, { connections: 1 });
  try {
    const client: Client = { index: 0, cookie: undefined, sub: 'pending-user' };
    await startLogin(pool, client, params.authorizeUrl);
    if (!client.cookie) throw new FlowError('/login set no session cookie');
    return client.cookie;
  } finally {
    await pool.close();
  }
}

/** Drops the connections and clients of an app that is going away. */
async function forget(origin: string): Promise<void> {
  const pool = pools.get(origin);
  pools.delete(origin);
  clientsByOrigin.delete(origin);
  await pool?.destroy();
}

serve({ load, burst, pendingLogin, forget } satisfies DriverApi, {}, async () => {
  await Promise.all([...pools.values()].map((p) => p.destroy()));
});
