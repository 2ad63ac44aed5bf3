/**
 * Forks the benchmark's processes (stand-in IS, contender apps, driver) and makes sure every one of them is
 * gone when the run ends: normally, on an error, or on Ctrl-C.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Api, Message, Params, Result } from './rpc.js';

const living = new Set<ChildProcess>();

function killAll(): void {
  for (const child of living) child.kill('SIGKILL');
  living.clear();
}

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    console.error(`\nbench: ${signal}, stopping every process it started`);
    killAll();
    process.exit(130);
  });
}

export interface WorkerOptions {
  /** Arguments after the file name. */
  args?: string[];
  /** Extra environment for this process only. */
  env?: Record<string, string>;
  /** Write a V8 CPU profile of this process into this directory (`node --cpu-prof`). */
  cpuProfileDir?: string;
}

/** A forked process of the benchmark that answers calls (see rpc.ts). */
export class Worker<A extends Api, Info = unknown> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly info: Info,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (message: Message) => {
      if (message.kind !== 'result' && message.kind !== 'error') return;
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      if (message.kind === 'result') call.resolve(message.result);
      else call.reject(new Error(`${name}: ${message.message}`));
    });
    child.once('exit', (code, signal) => {
      living.delete(child);
      for (const call of this.pending.values()) call.reject(new Error(`${name} exited (${signal ?? code})`));
      this.pending.clear();
    });
  }

  /** Forks `file` (relative to bench/) through tsx and waits for it to say it is ready. */
  static async start<A extends Api, Info>(name: string, file: string, options: WorkerOptions = {}): Promise<Worker<A, Info>> {
    const execArgv = ['--import', 'tsx', '--expose-gc'];
    // One directory per process: tsx's module loader thread writes a (small) profile of its own.
    if (options.cpuProfileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}/${name}`);
    const child = fork(fileURLToPath(new URL(file, import.meta.url)), options.args ?? [], {
      execArgv,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    living.add(child);
    const info = await new Promise<Info>((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null): void => reject(new Error(`${name} exited before it was ready (${signal ?? code})`));
      child.once('exit', onExit);
      child.once('error', reject);
      child.on('message', function ready(message: Message) {
        if (message.kind !== 'ready') return;
        child.off('message', ready);
        child.off('exit', onExit);
        resolve(message.info as Info);
      });
    });
    return new Worker<A, Info>(name, child, info);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Calls a method of the process and waits for its answer. */
  call<M extends keyof A & string>(method: M, params: Params<A, M>): Promise<Result<A, M>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ kind: 'call', id, method, params } satisfies Message);
    });
  }

  /** Asks the process to exit (so it can write its CPU profile), killing it if it does not within 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.send({ kind: 'stop' } satisfies Message);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
