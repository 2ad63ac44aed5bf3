/**
 * Turns a run's results into the markdown tables printed at the end and kept in bench/RESULTS.md: every figure
 * with its ratio to the best peer and to the baseline of the same run, then the targets, met or missed.
 */
import type { ContenderResults, Measured, RunResults } from './results.js';

const MiB = 2 ** 20;

function num(n: number | undefined, digits = 0): string {
  return n === undefined || Number.isNaN(n) ? 'n/a' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || !b || Number.isNaN(a) ? '–' : `${(a / b).toFixed(2)}x`;
}

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function rate(m: Measured | undefined): string {
  if (!m) return 'n/a';
  return `${num(m.opsPerSec.median)} (${num(m.opsPerSec.min)}–${num(m.opsPerSec.max)})`;
}

function yesNo(v: boolean | undefined): string {
  return v === undefined ? '–' : v ? 'yes' : 'no';
}

/** The fastest peer by median throughput, and the lowest peer p99 and CPU per operation, in one scenario. */
function bestPeer(run: RunResults, pick: (c: ContenderResults) => Measured | undefined): { rate?: number; p99?: number; cpu?: number; label?: string } {
  const peers = run.contenders.filter((c) => c.role === 'peer' && pick(c) && (pick(c) as Measured).failures === 0);
  if (peers.length === 0) return {};
  const fastest = peers.reduce((a, b) => ((pick(a) as Measured).opsPerSec.median >= (pick(b) as Measured).opsPerSec.median ? a : b));
  return {
    rate: (pick(fastest) as Measured).opsPerSec.median,
    p99: Math.min(...peers.map((c) => (pick(c) as Measured).p99.median)),
    cpu: Math.min(...peers.map((c) => (pick(c) as Measured).appCpuUsPerOp.median)),
    label: fastest.label,
  };
}

function baselineOf(run: RunResults, pick: (c: ContenderResults) => Measured | undefined): Measured | undefined {
  const base = run.contenders.find((c) => c.role === 'baseline');
  return base ? pick(base) : undefined;
}

function scenarioTable(run: RunResults, pick: (c: ContenderResults) => Measured | undefined, unit: string, login: boolean): string {
  const best = bestPeer(run, pick);
  const base = baselineOf(run, pick);
  const head = [
    'contender',
    ...(login ? ['ID token signature verified', 'userinfo'] : []),
    `${unit}/s median (min–max)`,
    'p50 ms',
    'p99 ms',
    `${unit}/s vs best peer`,
    'p99 vs best peer p99',
    `${unit}/s vs baseline`,
    'app CPU µs per op (min–max)',
    'CPU vs best peer',
    'CPU vs baseline',
    'IS CPU µs per op',
    'failures',
  ];
  const rows = run.contenders
    .filter((c) => pick(c))
    .map((c) => {
      const m = pick(c) as Measured;
      return [
        c.role === 'subject' ? `**${c.label}**` : c.label,
        ...(login ? [yesNo(c.verifiesSignature), yesNo(c.userinfo)] : []),
        rate(m),
        num(m.p50.median, 2),
        num(m.p99.median, 2),
        c.role === 'baseline' ? '–' : ratio(m.opsPerSec.median, best.rate),
        c.role === 'baseline' ? '–' : ratio(m.p99.median, best.p99),
        ratio(m.opsPerSec.median, base?.opsPerSec.median),
        `${num(m.appCpuUsPerOp.median)} (${num(m.appCpuUsPerOp.min)}–${num(m.appCpuUsPerOp.max)})`,
        c.role === 'baseline' ? '–' : ratio(m.appCpuUsPerOp.median, best.cpu),
        ratio(m.appCpuUsPerOp.median, base?.appCpuUsPerOp.median),
        num(m.isCpuUsPerOp.median),
        String(m.failures),
      ];
    });
  return table(head, rows);
}

function perLoginTable(run: RunResults): string {
  const rows = run.contenders
    .filter((c) => c.perLogin)
    .map((c) => {
      const p = c.perLogin as NonNullable<ContenderResults['perLogin']>;
      const total = p.token + p.userinfo + p.discovery + p.jwks;
      return [c.label, num(p.logins), num(p.token, 3), num(p.userinfo, 3), num(p.discovery, 3), num(p.jwks, 3), num(total, 3)];
    });
  return table(['contender', 'logins counted', 'token', 'userinfo', 'discovery', 'JWKS', 'total per login'], rows);
}

function coldTable(run: RunResults): string {
  const rows = run.contenders
    .filter((c) => c.coldStart)
    .map((c) => {
      const s = c.coldStart as NonNullable<ContenderResults['coldStart']>;
      return [
        c.label,
        `${s.logins}/${run.settings.coldClients}`,
        String(s.is.discovery),
        String(s.is.jwks),
        String(s.is.token),
        String(s.is.userinfo),
        num(s.redirectLatency.p99, 1),
        num(s.callbackLatency.p99, 1),
      ];
    });
  return table(['contender', 'logins ok', 'discovery', 'JWKS', 'token', 'userinfo', 'redirect p99 ms', 'callback p99 ms'], rows);
}

function memoryTable(run: RunResults): string {
  const base = run.contenders.find((c) => c.role === 'baseline')?.memory;
  const rows = run.contenders.map((c) => {
    const m = c.memory;
    const growth = m.rssAfter !== undefined && m.rssBefore !== undefined ? m.rssAfter - m.rssBefore : undefined;
    const baseGrowth = base?.rssAfter !== undefined && base.rssBefore !== undefined ? base.rssAfter - base.rssBefore : undefined;
    return [
      c.label,
      m.pendingSession ? `${m.pendingSession.ownBytes} (${m.pendingSession.storedBytes} stored)` : 'n/a',
      m.logins !== undefined ? num(m.logins) : '–',
      m.rssBefore !== undefined ? num(m.rssBefore / MiB, 1) : '–',
      m.rssAfter !== undefined ? num(m.rssAfter / MiB, 1) : '–',
      growth !== undefined && baseGrowth !== undefined && c.role !== 'baseline' ? `${num(growth / MiB, 1)} (${ratio(growth, baseGrowth)})` : growth !== undefined ? num(growth / MiB, 1) : '–',
      m.heapAfter !== undefined ? num(m.heapAfter / MiB, 1) : '–',
      m.sessions ? num((m.storeBytes ?? 0) / m.sessions) : '–',
    ];
  });
  return table(
    ['contender', 'bytes per pending login (session JSON without cookie)', 'logins', 'RSS fresh MiB', 'RSS after MiB', 'RSS growth MiB (vs baseline)', 'heap after MiB', 'bytes per signed-in session'],
    rows,
  );
}

/** The targets for passport-wso2is, each with its measured figure. */
export function targets(run: RunResults): Array<{ target: string; met: boolean | undefined; figure: string }> {
  const subject = run.contenders.find((c) => c.id === 'wso2is');
  const likeForLike = run.contenders.find((c) => c.id === 'wso2is-no-userinfo');
  const redirectBest = bestPeer(run, (c) => c.redirect);
  const loginBest = bestPeer(run, (c) => c.login);
  const baseRedirect = baselineOf(run, (c) => c.redirect);
  const out: Array<{ target: string; met: boolean | undefined; figure: string }> = [];
  const check = (target: string, value: number | undefined, ok: (v: number) => boolean, figure: string): void => {
    out.push({ target, met: value === undefined || Number.isNaN(value) ? undefined : ok(value), figure });
  };
  const r = subject?.redirect?.opsPerSec.median;
  check('redirect >= 0.9x baseline', r && baseRedirect ? r / baseRedirect.opsPerSec.median : undefined, (v) => v >= 0.9, `${ratio(r, baseRedirect?.opsPerSec.median)} (${num(r)} vs ${num(baseRedirect?.opsPerSec.median)} req/s)`);
  check('redirect >= 1.0x fastest peer', r && redirectBest.rate ? r / redirectBest.rate : undefined, (v) => v >= 1, `${ratio(r, redirectBest.rate)} (vs ${redirectBest.label ?? 'n/a'}, ${num(redirectBest.rate)} req/s); app CPU per redirect ${ratio(subject?.redirect?.appCpuUsPerOp.median, redirectBest.cpu)} the leanest peer's, ${ratio(subject?.redirect?.appCpuUsPerOp.median, baseRedirect?.appCpuUsPerOp.median)} the baseline's`);
  for (const c of [likeForLike, subject]) {
    if (!c?.login) continue;
    const l = c.login.opsPerSec.median;
    check(`full login >= 1.0x fastest peer, signature verified (${c.label})`, loginBest.rate ? l / loginBest.rate : undefined, (v) => v >= 1, `${ratio(l, loginBest.rate)} (${num(l)} vs ${num(loginBest.rate)} logins/s, ${loginBest.label ?? 'n/a'}); app CPU per login ${num(c.login.appCpuUsPerOp.median)} µs, ${ratio(c.login.appCpuUsPerOp.median, loginBest.cpu)} the leanest peer's`);
    check(`full login p99 <= best peer p99 (${c.label})`, loginBest.p99 ? c.login.p99.median / loginBest.p99 : undefined, (v) => v <= 1, `${num(c.login.p99.median, 2)} ms vs ${num(loginBest.p99, 2)} ms (${ratio(c.login.p99.median, loginBest.p99)})`);
  }
  for (const c of [subject, likeForLike]) {
    const p = c?.perLogin;
    if (!c || !p) continue;
    const expectedUserinfo = c.userinfo ? 1 : 0;
    check(`exactly 1 token request per login${c.userinfo ? ' + 1 userinfo' : ''} (${c.label})`, p.token, (v) => Math.abs(v - 1) < 0.001 && Math.abs(p.userinfo - expectedUserinfo) < 0.001, `${num(p.token, 3)} token, ${num(p.userinfo, 3)} userinfo per login`);
    check(`no discovery or JWKS after warm-up (${c.label})`, p.discovery + p.jwks, (v) => v === 0, `${num(p.discovery * p.logins)} discovery, ${num(p.jwks * p.logins)} JWKS in ${num(p.logins)} logins`);
  }
  const cold = subject?.coldStart;
  check(`one discovery fetch for ${run.settings.coldClients} concurrent cold requests`, cold?.is.discovery, (v) => v === 1, cold ? `${cold.is.discovery} discovery, ${cold.is.jwks} JWKS, ${cold.logins}/${run.settings.coldClients} logins` : 'n/a');
  const pending = subject?.memory.pendingSession;
  check('<= 0.5 KB session per pending login', pending?.ownBytes, (v) => v <= 512, pending ? `${pending.ownBytes} bytes (${pending.storedBytes} with express-session's cookie record)` : 'n/a');
  return out;
}

/** Why this run must count as failed: a contender that did not log in, or the stand-in refusing requests. */
export function failuresOf(run: RunResults): string[] {
  const out: string[] = [];
  if (run.standIn.failures > 0) out.push(`the stand-in failed ${run.standIn.failures} exchanges`);
  for (const c of run.contenders) {
    for (const [name, m] of [['redirect', c.redirect], ['login', c.login]] as const) {
      if (m && m.failures > 0) out.push(`${c.label}: ${m.failures} failed ${name}s (${m.firstFailure ?? ''})`);
      if (m && m.rounds.some((r) => r.ops === 0)) out.push(`${c.label}: a ${name} round completed nothing`);
    }
    const s = c.coldStart;
    if (s && (s.failures > 0 || s.logins !== run.settings.coldClients)) out.push(`${c.label}: cold start ${s.logins}/${run.settings.coldClients} logins (${s.firstFailure ?? ''})`);
    if (c.memory.loginFailures) out.push(`${c.label}: ${c.memory.loginFailures} failed logins in the memory run`);
    if (c.perLogin?.refused) out.push(`${c.label}: the stand-in refused ${c.perLogin.refused} requests`);
  }
  return out;
}

export function renderReport(run: RunResults): string {
  const m = run.machine;
  const s = run.settings;
  const fastestLogin = Math.max(...run.contenders.filter((c) => c.role !== 'baseline').map((c) => c.login?.opsPerSec.median ?? 0));
  return [
    `# passport-wso2is benchmark${run.smoke ? ' (smoke run: figures are not meaningful)' : ''}`,
    '',
    `${run.date} · ${m.cpu} × ${m.cores} cores, ${m.memoryGiB} GiB · Node ${m.node} ${m.platform} · ${s.clients} concurrent keep-alive clients · ` +
      `${s.rounds} rounds of ${s.redirectMs / 1000} s (redirect) and ${s.loginMs / 1000} s (login) per contender, order rotating · run took ${run.durationSec} s · load average ${m.loadAverage.map((l) => l.toFixed(1)).join(' → ')}`,
    '',
    'Every app: Express 5, express-session (MemoryStore), passport 0.7, scopes `openid profile email`, one process each; ' +
      'the driver and the identity server stand-in (HTTPS, own CA, RS256 ID tokens signed per request) run in processes of their own on the same cores. ' +
      'Ratios compare medians of the same run; "best peer" is the fastest of openid-client/passport and passport-openidconnect (and the +sig variant). ' +
      'Throughput and latency suffer from anything else running on the machine (see the load average); the app CPU time per operation is the steadier figure.',
    '',
    `**Stand-in alone** (token exchange with PKCE + userinfo, the IS work of one login, driven directly): ${num(run.standIn.opsPerSec)} per second, ` +
      `p50 ${num(run.standIn.latency.p50, 2)} ms, p99 ${num(run.standIn.latency.p99, 2)} ms (driver and stand-in sharing the cores), ${ratio(run.standIn.opsPerSec, fastestLogin)} the fastest contender's logins/s; ` +
      `the stand-in spends ${num(run.standIn.isCpuUsPerOp)} µs of CPU per login, so one core serves about ${num(1e6 / run.standIn.isCpuUsPerOp)} logins/s.`,
    '',
    '## A. Login redirect (`GET /login` → 302 to IS)',
    '',
    scenarioTable(run, (c) => c.redirect, 'req', false),
    '',
    'Every redirect comes from a new browser (no cookie): the session is created, holds one pending login, and is stored. ' +
      'The baseline redirects the way passport does (302, Location, empty body) after storing 32 random bytes in the session.',
    '',
    '## B. Full login (`/login`, then the callback: token exchange, ID token validation, session login)',
    '',
    scenarioTable(run, (c) => c.login, 'logins', true),
    '',
    'Latency is that of the whole login (both requests). Each client keeps its session cookie from one login to the next (passport regenerates the session at each login). passport-wso2is runs with `userInfo` on (its default: one userinfo request per login) and, like for like with the peers, with `userInfo: false`. ' +
      'openid-client/passport verifies the ID token signature only with `enableNonRepudiationChecks` (the +sig row); passport-openidconnect never does.',
    '',
    '## C. Cold start (fresh process, ' + `${s.coldClients} concurrent first logins)`,
    '',
    coldTable(run),
    '',
    'Counts are all requests reaching IS from process start until the burst\'s callbacks are done. openid-client/passport needs the discovery done before the app listens (its strategy takes the `Configuration`); passport-openidconnect has no discovery (endpoints configured by hand).',
    '',
    '## D. Requests reaching IS per login after warm-up',
    '',
    perLoginTable(run),
    '',
    '## E. Memory',
    '',
    memoryTable(run),
    '',
    `RSS after ${num(s.memoryLogins)} logins of new browsers in a fresh process, after a full GC; every signed-in session stays in the MemoryStore (passport-wso2is keeps the tokens in it, for \`getTokens()\` and logout).`,
    '',
    '## Targets (passport-wso2is)',
    '',
    table(
      ['target', 'met', 'measured'],
      targets(run).map((t) => [t.target, t.met === undefined ? 'n/a' : t.met ? 'yes' : '**no**', t.figure]),
    ),
    '',
  ].join('\n');
}
