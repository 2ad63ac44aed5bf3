/**
 * `npm run bench`: what a login costs with passport-wso2is and with its peers, measured in one run (issue #6).
 *
 * Processes: the identity server stand-in, one app per contender, and the load driver, each forked from here and
 * all stopped at the end (also on error or Ctrl-C). Everything listens on 127.0.0.1, port 0.
 *
 *   1. the stand-in alone (token exchange + userinfo), to show it is not the bottleneck
 *   C. each app is started fresh and hit by 100 concurrent first logins: discovery/JWKS requests reaching IS
 *   E. session bytes of one pending login
 *   A/B. rounds in rotating order: login redirect, then full login (D: IS requests per login counted here)
 *   E. RSS after 10,000 logins, each app in a fresh process
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { CONTENDERS, type Contender } from './contenders/index.js';
import type { ContenderSetup } from './contenders/contender.js';
import type { AppApi, AppInfo } from './app.js';
import type { DriverApi, LoadResult, Operation } from './driver.js';
import type { IsApi, IsCounts, IsInfo } from './identity-server.js';
import { readOptions, type BenchOptions } from './options.js';
import { Worker } from './processes.js';
import { renderReport, failuresOf } from './report.js';
import type { ContenderResults, Measured, Round, RunResults } from './results.js';
import { spread } from './stats.js';

type App = Worker<AppApi, AppInfo>;

const started = performance.now();
const loadBefore = loadavg()[0] ?? 0;
const options = readOptions();
const contenders = CONTENDERS.filter((c) => !options.only || options.only.includes(c.id));
const log = (message: string): void => console.error(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}`);

function startApp(c: Contender, setup: Omit<ContenderSetup, 'callbackURL'>, opts: BenchOptions): Promise<App> {
  const profile = opts.profileDir;
  return Worker.start<AppApi, AppInfo>(`app-${c.id}`, './app.ts', {
    args: [c.id],
    env: { BENCH_SETUP: JSON.stringify(setup) },
    ...(profile ? { cpuProfileDir: profile } : {}),
  });
}

function measured(rounds: Round[]): Measured {
  const failures = rounds.reduce((n, r) => n + r.failures, 0);
  const firstFailure = rounds.find((r) => r.firstFailure)?.firstFailure;
  return {
    rounds,
    opsPerSec: spread(rounds.map((r) => r.opsPerSec)),
    p50: spread(rounds.map((r) => r.latency.p50)),
    p99: spread(rounds.map((r) => r.latency.p99)),
    appCpuUsPerOp: spread(rounds.map((r) => r.appCpuUsPerOp)),
    isCpuUsPerOp: spread(rounds.map((r) => r.isCpuUsPerOp)),
    failures,
    ...(firstFailure !== undefined ? { firstFailure } : {}),
  };
}

async function main(): Promise<number> {
  log(`${options.smoke ? 'smoke run' : 'benchmark'}: ${contenders.length} contenders, ${options.clients} clients, ${options.rounds} round(s)`);
  const [is, driver] = await Promise.all([
    Worker.start<IsApi, IsInfo>('identity-server', './identity-server.ts'),
    Worker.start<DriverApi, object>('driver', './driver.ts'),
  ]);
  const authorizeUrl = `${is.info.origin}/oauth2/authorize`;
  const setup: Omit<ContenderSetup, 'callbackURL'> = {
    isOrigin: is.info.origin,
    issuer: is.info.issuer,
    caPem: is.info.caPem,
    clientId: is.info.clientId,
    clientSecret: is.info.clientSecret,
    scope: ['openid', 'profile', 'email'],
  };

  // 1. The stand-in alone.
  const isLoad = (durationMs: number): Promise<LoadResult> =>
    driver.call('load', {
      origin: is.info.origin,
      authorizeUrl,
      operation: 'is-exchange',
      clients: options.clients,
      durationMs,
      caPem: is.info.caPem,
      clientId: is.info.clientId,
      clientSecret: is.info.clientSecret,
    });
  await isLoad(options.warmupMs);
  await is.call('reset', undefined);
  const isAlone = await isLoad(options.standInMs);
  const standIn = { ...isAlone, isCpuUsPerOp: (await is.call('counts', undefined)).cpuUs / Math.max(1, isAlone.ops) };
  log(`stand-in alone: ${standIn.opsPerSec.toFixed(0)} token exchanges + userinfo per second, ${standIn.isCpuUsPerOp.toFixed(0)} µs of its CPU each`);

  const results = new Map<string, ContenderResults>(
    contenders.map((c) => [c.id, { id: c.id, label: c.label, role: c.role, verifiesSignature: c.verifiesSignature, userinfo: c.userinfo, memory: {} }]),
  );
  const result = (c: Contender): ContenderResults => results.get(c.id) as ContenderResults;
  const apps = new Map<string, App>();
  try {
    // C. Cold start, one fresh app at a time so that IS's counts are that app's alone (openid-client/passport's
    // discovery at startup included).
    for (const c of contenders) {
      await is.call('reset', undefined);
      const app = await startApp(c, setup, options);
      apps.set(c.id, app);
      const burst = await driver.call('burst', { origin: app.info.origin, authorizeUrl, clients: options.coldClients });
      result(c).coldStart = { ...burst, is: await is.call('counts', undefined) };
      log(`cold start ${c.id}: ${burst.logins}/${options.coldClients} logins, IS saw ${JSON.stringify(result(c).coldStart?.is)}`);
      // E. One new browser with one pending login.
      const cookie = await driver.call('pendingLogin', { origin: app.info.origin, authorizeUrl });
      const size = await app.call('session', cookie);
      if (size) result(c).memory.pendingSession = size;
    }

    // Redirects come from new browsers (no cookie: the usual "Sign in" click), logins from clients that keep their
    // session cookie from one login to the next.
    const load = (c: Contender, operation: Operation, durationMs: number): Promise<LoadResult> => {
      const app = apps.get(c.id) as App;
      return driver.call('load', { origin: app.info.origin, authorizeUrl, operation, clients: options.clients, durationMs, freshSessions: operation === 'redirect' });
    };
    /** One measured round of one contender: throughput and latency, the CPU both sides spent, what reached IS. */
    const measure = async (c: Contender, operation: Operation, durationMs: number): Promise<{ round: Round; counts: IsCounts }> => {
      const app = apps.get(c.id) as App;
      await app.call('settle', undefined);
      await is.call('reset', undefined);
      const cpuBefore = await app.call('cpu', undefined);
      const r = await load(c, operation, durationMs);
      const cpuAfter = await app.call('cpu', undefined);
      const counts = await is.call('counts', undefined);
      const per = (us: number): number => (r.ops === 0 ? Number.NaN : us / r.ops);
      return { round: { ...r, appCpuUsPerOp: per(cpuAfter - cpuBefore), isCpuUsPerOp: per(counts.cpuUs) }, counts };
    };
    for (const c of contenders) {
      if (c.redirect) await load(c, 'redirect', options.warmupMs / 2);
      await load(c, 'login', options.warmupMs);
    }
    log('warmed up');

    // A, B and D in rounds; the order rotates so that no contender always runs first or last.
    const redirects = new Map<string, Round[]>();
    const logins = new Map<string, Round[]>();
    const perLogin = new Map<string, { logins: number; discovery: number; jwks: number; token: number; userinfo: number; refused: number }>();
    for (let round = 0; round < options.rounds; round++) {
      const order = contenders.map((_, i) => contenders[(i + round) % contenders.length] as Contender);
      for (const c of order.filter((x) => x.redirect)) {
        const { round: r } = await measure(c, 'redirect', options.redirectMs);
        redirects.set(c.id, [...(redirects.get(c.id) ?? []), r]);
      }
      for (const c of order) {
        const { round: r, counts } = await measure(c, 'login', options.loginMs);
        logins.set(c.id, [...(logins.get(c.id) ?? []), r]);
        const sum = perLogin.get(c.id) ?? { logins: 0, discovery: 0, jwks: 0, token: 0, userinfo: 0, refused: 0 };
        sum.logins += r.ops;
        sum.discovery += counts.discovery;
        sum.jwks += counts.jwks;
        sum.token += counts.token;
        sum.userinfo += counts.userinfo;
        sum.refused += counts.refused;
        perLogin.set(c.id, sum);
      }
      log(`round ${round + 1}/${options.rounds} done`);
    }
    for (const c of contenders) {
      const res = result(c);
      const r = redirects.get(c.id);
      if (r) res.redirect = measured(r);
      const l = logins.get(c.id);
      if (l) res.login = measured(l);
      const sum = perLogin.get(c.id);
      if (sum) {
        const per = (n: number): number => (sum.logins === 0 ? Number.NaN : n / sum.logins);
        res.perLogin = { logins: sum.logins, discovery: per(sum.discovery), jwks: per(sum.jwks), token: per(sum.token), userinfo: per(sum.userinfo), refused: sum.refused };
      }
    }
    await Promise.all([...apps.values()].map(async (app) => {
      await driver.call('forget', app.info.origin);
      await app.stop();
    }));
    apps.clear();

    // E. RSS after N logins of new browsers, in a fresh process per contender.
    for (const c of contenders.filter((x) => x.memory)) {
      const app = await startApp(c, setup, { ...options, profileDir: undefined });
      apps.set(c.id, app);
      const before = await app.call('memory', undefined);
      const r = await driver.call('load', { origin: app.info.origin, authorizeUrl, operation: 'login', clients: options.clients, count: options.memoryLogins, freshSessions: true });
      const after = await app.call('memory', undefined);
      Object.assign(result(c).memory, {
        rssBefore: before.rss,
        heapBefore: before.heapUsed,
        rssAfter: after.rss,
        heapAfter: after.heapUsed,
        logins: r.ops,
        loginFailures: r.failures,
        sessions: after.sessions,
        storeBytes: after.storeBytes,
      });
      log(`memory ${c.id}: ${r.ops} logins, RSS ${(before.rss / 2 ** 20).toFixed(0)} -> ${(after.rss / 2 ** 20).toFixed(0)} MiB`);
      await driver.call('forget', app.info.origin);
      await app.stop();
      apps.delete(c.id);
    }
  } finally {
    await Promise.all([...apps.values()].map((app) => app.stop()));
    await Promise.all([driver.stop(), is.stop()]);
  }

  const cpu = cpus();
  const run: RunResults = {
    date: new Date().toISOString(),
    smoke: options.smoke,
    durationSec: Math.round((performance.now() - started) / 1000),
    machine: { cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}`, loadAverage: [loadBefore, loadavg()[0] ?? 0] },
    settings: {
      clients: options.clients,
      rounds: options.rounds,
      redirectMs: options.redirectMs,
      loginMs: options.loginMs,
      warmupMs: options.warmupMs,
      coldClients: options.coldClients,
      memoryLogins: options.memoryLogins,
    },
    standIn,
    contenders: [...results.values()],
  };
  const markdown = renderReport(run);
  console.log(markdown);
  const resultsDir = new URL('./results/', import.meta.url);
  await mkdir(resultsDir, { recursive: true });
  await writeFile(new URL(options.smoke ? 'smoke.json' : 'latest.json', resultsDir), `${JSON.stringify(run, null, 2)}\n`);
  if (!options.smoke && !options.only) await writeFile(new URL('./RESULTS.md', import.meta.url), markdown);
  const failures = failuresOf(run);
  for (const f of failures) console.error(`bench: ${f}`);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('bench failed:', err);
    process.exit(1);
  },
);
