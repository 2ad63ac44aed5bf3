/**
 * A minimal request/response protocol over the IPC channel between the orchestrator (bench/run.ts) and the
 * processes it forks. Each child announces itself once with `ready`, then answers calls; it exits when told
 * to stop or when its parent goes away (the IPC channel closes), so no process outlives a benchmark run.
 */

/** The methods a child process offers: each takes one (structured-cloneable) argument. */
export type Api = { [method: string]: (params: never) => unknown };

export type Params<A extends Api, M extends keyof A> = Parameters<A[M]>[0];
export type Result<A extends Api, M extends keyof A> = Awaited<ReturnType<A[M]>>;

export type Message =
  | { kind: 'ready'; info: unknown }
  | { kind: 'call'; id: number; method: string; params: unknown }
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; message: string }
  | { kind: 'stop' };

function send(message: Message): void {
  process.send?.(message);
}

/**
 * Runs in the child: answers calls with `handlers`, announces `info`, and exits (running `onStop` first) when
 * the parent says stop or disconnects.
 */
export function serve(handlers: Api, info: unknown, onStop: () => Promise<void> = async () => {}): void {
  if (!process.send) throw new Error('this file is a benchmark worker: run `npm run bench`');
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => process.exit(0), 3000);
    timer.unref();
    onStop().finally(() => process.exit(0));
  };
  process.on('message', (message: Message) => {
    if (message.kind === 'stop') return stop();
    if (message.kind !== 'call') return;
    const handler = handlers[message.method] as ((params: unknown) => unknown) | undefined;
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown method ${message.method}`);
        return handler(message.params);
      })
      .then(
        (result) => send({ kind: 'result', id: message.id, result }),
        (err: unknown) => send({ kind: 'error', id: message.id, message: err instanceof Error ? err.stack ?? err.message : String(err) }),
      );
  });
  process.on('disconnect', stop);
  send({ kind: 'ready', info });
}
