/**
 * Summarises V8 CPU profiles written by `npm run bench -- --profile` (node --cpu-prof): where the app's time went,
 * by function (self time) and by source file (self and inclusive time), to find what a login costs and where.
 *
 *   npx tsx bench/profile-summary.ts bench/results/profiles/app-wso2is.cpuprofile [more.cpuprofile...]
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
    // Inclusive: every distinct file on the stack gets the sample once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = shortUrl(byId.get(cur)?.callFrame.url ?? '');
      if (seen.has(f)) continue;
      seen.add(f);
      byFileInclusive.set(f, (byFileInclusive.get(f) ?? 0) + t);
    }
  }
  console.log(`\n${path}: ${(total / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle/program`);
  console.log('self time by function:');
  console.log(top(byFunction, total, 25));
  console.log('self time by file:');
  console.log(top(byFileSelf, total, 20));
  console.log('inclusive time by file (lib/ and packages):');
  console.log(top(new Map([...byFileInclusive].filter(([f]) => !f.startsWith('node:') && f !== '(native)')), total, 25));
}

for (const path of process.argv.slice(2)) await summarize(path);
