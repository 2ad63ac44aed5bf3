/** The run's knobs, from the command line (`npm run bench -- --smoke --clients=16`) and the environment. */
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** A few seconds, proving every contender still logs in; exits non-zero if one does not. */
  smoke: boolean;
  /** Concurrent virtual clients per app. */
  clients: number;
  /** Rounds; in each, every contender is measured once per scenario, in a rotating order. */
  rounds: number;
  redirectMs: number;
  loginMs: number;
  warmupMs: number;
  /** Length of the stand-in's own measurement. */
  standInMs: number;
  /** Concurrent first requests of the cold start. */
  coldClients: number;
  /** Logins before the RSS is read. */
  memoryLogins: number;
  /** Contender ids to run (default all). */
  only: string[] | undefined;
  /** Directory for `node --cpu-prof` profiles of the apps (rounds only, not the memory phase), when set. */
  profileDir: string | undefined;
}

export function readOptions(argv = process.argv.slice(2)): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      clients: { type: 'string' },
      rounds: { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const smoke = values.smoke || process.env['BENCH_SMOKE'] === '1';
  const int = (value: string | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`bench: expected a positive integer, got ${value}`);
    return n;
  };
  return {
    smoke,
    clients: int(values.clients, smoke ? 4 : 32),
    rounds: int(values.rounds, smoke ? 1 : 3),
    redirectMs: smoke ? 300 : 2000,
    loginMs: smoke ? 500 : 3000,
    warmupMs: smoke ? 200 : 1000,
    standInMs: smoke ? 300 : 2000,
    coldClients: smoke ? 20 : 100,
    memoryLogins: smoke ? 100 : 10_000,
    only: values.only?.split(',').map((s) => s.trim()).filter(Boolean),
    profileDir: values.profile ? new URL('./results/profiles/', import.meta.url).pathname : undefined,
  };
}
