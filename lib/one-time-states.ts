/**
 * A table of one-time entries keyed by the random `state` sent to IS (pending logins, pending sign-outs): bounded
 * in number (the oldest go first) and in age, and each entry consumed by its first use.
 */

/** An entry's start, in seconds since the epoch. */
export interface Stamped {
  createdAt: number;
}

/** What looking a `state` up found. */
export type Taken<T> = { status: 'found'; entry: T } | { status: 'expired' } | { status: 'missing'; remaining: number };

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function prune(table: Record<string, Stamped>, ttl: number): void {
  const limit = nowSeconds() - ttl;
  for (const [state, entry] of Object.entries(table)) {
    if (!entry || typeof entry.createdAt !== 'number' || entry.createdAt < limit) delete table[state];
  }
}

/** Adds `entry` under `state`, dropping expired entries and, past `max`, the oldest. */
export function addOneTime<T extends Stamped>(table: Record<string, T>, state: string, entry: T, max: number, ttl: number): void {
  prune(table, ttl);
  table[state] = entry;
  const states = Object.keys(table);
  if (states.length <= max) return;
  states
    .sort((a, b) => (table[a]?.createdAt ?? 0) - (table[b]?.createdAt ?? 0))
    .slice(0, states.length - max)
    .forEach((s) => delete table[s]);
}

/** Removes (consumes) the entry of `state` and reports whether it was there and still young enough. */
export function takeOneTime<T extends Stamped>(table: Record<string, T>, state: string, ttl: number): Taken<T> {
  const entry = Object.hasOwn(table, state) ? table[state] : undefined;
  if (entry) delete table[state];
  const expired = entry !== undefined && (typeof entry.createdAt !== 'number' || entry.createdAt < nowSeconds() - ttl);
  prune(table, ttl);
  if (!entry) return { status: 'missing', remaining: Object.keys(table).length };
  return expired ? { status: 'expired' } : { status: 'found', entry };
}
