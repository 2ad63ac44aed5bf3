/**
 * Summarises V8 CPU profiles written by `npm run bench -- --profile` (node --cpu-prof): where the app's time went,
 * by function (self time) and by source file (self and inclusive time), to find what a login costs and where.
 *
 *   npx tsx bench/profile-summary.ts bench/results/profiles/app-wso2is/*.cpuprofile
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const work = url.indexOf('/main/');
  return work >= 0 ? url.slice(work + '/main/'.length) : url || '(native)';
}

/** Coarse groups for "where does a login's CPU go", by the file a sample's own (self) time is in. */
const GROUPS: Array<[string, RegExp]> = [
  ['GC', /^\(garbage collector\)/],
  ['fetch to IS (undici, web streams, AbortSignal)', /undici|webstreams|abort_controller|js_transferable|^node:internal\/(blob|event_target|deps\/cjs)/],
  ['openid-client + oauth4webapi + jose', /^(openid-client|oauth4webapi|jose)\//],
  ['WebCrypto jobs (PKCE digest, ID token signature)', /^node:internal\/crypto\/(util|webcrypto|keys|rsa|ec|cfrg|sig|mac)/],
  ['hash, HMAC, random (session ids, cookie signatures)', /^node:internal\/crypto\/(hash|random)/],
  ['passport-openidconnect + oauth', /^(passport-openidconnect|oauth)\//],
  ['express-session', /^express-session\//],
  ['passport', /^passport\//],
  ['express + router', /^(express|router|finalhandler|send|encodeurl|parseurl|qs|on-headers|on-finished|cookie|cookie-signature)/],
  ['lib/ (passport-wso2is)', /^lib\//],
  ['node http server/sockets', /^node:(_http|net|internal\/(stream|streams|http))|^\(native\)/],
];

function groupOf(file: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'GC';
  for (const [name, re] of GROUPS) if (re.test(file)) return name;
  return 'other';
}

function top(map: Map<string, number>, total: number, n: number): string {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`)
    .join('\n');
}

async function summarize(path: string): Promise<void> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let total = 0;
  let idle = 0;
  const byFunction = new Map<string, number>();
  const byFileSelf = new Map<string, number>();
  const byFileInclusive = new Map<string, number>();
  const byGroup = new Map<string, number>();
  const byLibFunctionInclusive = new Map<string, number>();
  for (const [id, t] of selfTime) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') {
      idle += t;
      continue;
    }
    total += t;
    const file = shortUrl(url);
    byFunction.set(`${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`, (byFunction.get(`${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`) ?? 0) + t);
    byFileSelf.set(file, (byFileSelf.get(file) ?? 0) + t);
    const group = groupOf(file, functionName);
    byGroup.set(group, (byGroup.get(group) ?? 0) + t);
    // Inclusive: every distinct file (and lib/ function) on the synchronous stack gets the sample once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame;
      const f = shortUrl(frame?.url ?? '');
      const fn = f.startsWith('lib/') ? `${frame?.functionName || '(anonymous)'} ${f}:${(frame?.lineNumber ?? 0) + 1}` : undefined;
      for (const key of [f, fn]) {
        if (key === undefined || seen.has(key)) continue;
        seen.add(key);
        const map = key === f ? byFileInclusive : byLibFunctionInclusive;
        map.set(key, (map.get(key) ?? 0) + t);
      }
    }
  }
  console.log(`\n${path}: ${(total / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle/program`);
  console.log('self time by group:');
  console.log(top(byGroup, total, GROUPS.length + 1));
  console.log('self time by function:');
  console.log(top(byFunction, total, 25));
  console.log('self time by file:');
  console.log(top(byFileSelf, total, 20));
  console.log('inclusive time by file (lib/ and packages):');
  console.log(top(new Map([...byFileInclusive].filter(([f]) => !f.startsWith('node:') && f !== '(native)')), total, 25));
  console.log('inclusive time by lib/ function (synchronous part of each call):');
  console.log(top(byLibFunctionInclusive, total, 20));
}

for (const path of process.argv.slice(2)) await summarize(path);
