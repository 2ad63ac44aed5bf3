/** The shape of one run's results: what bench/run.ts measures and bench/report.ts renders (and latest.json holds). */
import type { BurstResult, LoadResult } from './driver.js';
import type { IsCounts } from './identity-server.js';
import type { Spread } from './stats.js';

/** One measurement, with the CPU time the app and the stand-in spent per operation (µs). */
export interface Round extends LoadResult {
  appCpuUsPerOp: number;
  isCpuUsPerOp: number;
}

/** One contender in one scenario, over all rounds. */
export interface Measured {
  rounds: Round[];
  opsPerSec: Spread;
  p50: Spread;
  p99: Spread;
  /** The app's CPU time per operation, µs: much less sensitive than throughput to other load on the machine. */
  appCpuUsPerOp: Spread;
  isCpuUsPerOp: Spread;
  failures: number;
  firstFailure?: string;
}

export interface ColdStart extends BurstResult {
  /** Requests that reached IS from process start to the end of the burst's callbacks. */
  is: IsCounts;
}

/** Requests reaching IS per completed login, measured over the login rounds (after warm-up). */
export interface PerLogin {
  logins: number;
  discovery: number;
  jwks: number;
  token: number;
  userinfo: number;
  refused: number;
}

export interface Memory {
  /** One new browser's session after `/login`: the JSON the store holds, and that without express-session's cookie record. */
  pendingSession?: { storedBytes: number; ownBytes: number; keys: string[] };
  /** Fresh process, after a full GC. */
  rssBefore?: number;
  /** After `logins` logins of new browsers (each leaves a logged-in session in the MemoryStore), after a full GC. */
  rssAfter?: number;
  heapBefore?: number;
  heapAfter?: number;
  logins?: number;
  loginFailures?: number;
  sessions?: number;
  storeBytes?: number;
}

export interface ContenderResults {
  id: string;
  label: string;
  role: 'subject' | 'peer' | 'baseline';
  verifiesSignature: boolean | undefined;
  userinfo: boolean;
  redirect?: Measured;
  login?: Measured;
  coldStart?: ColdStart;
  perLogin?: PerLogin;
  memory: Memory;
}

export interface RunResults {
  date: string;
  smoke: boolean;
  durationSec: number;
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    node: string;
    platform: string;
    /** 1-minute load average before and after the run: other work on the machine makes throughput noisy. */
    loadAverage: [number, number];
  };
  settings: { clients: number; rounds: number; redirectMs: number; loginMs: number; warmupMs: number; coldClients: number; memoryLogins: number };
  /** The stand-in alone: token exchange + userinfo, as one login asks of it. */
  standIn: LoadResult & { isCpuUsPerOp: number };
  contenders: ContenderResults[];
}
