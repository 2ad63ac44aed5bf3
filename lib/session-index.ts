/**
 * Which application sessions belong to which IS session (`sid`) and user (`sub`), so that a back-channel or
 * front-channel logout from IS, which names only `sid`/`sub`, can end the right application sessions.
 */

/**
 * The index from IS session (`sid`) and user (`sub`) to the application's session ids (`req.sessionID`).
 *
 * The strategy writes it at every login (with the session id passport 0.6+ gives the session when it regenerates
 * it at login) and reads it when IS asks to end an IS session. The default, {@link MemorySessionIndex}, lives in
 * the process: when the application runs on several instances behind a load balancer, IS's back-channel POST
 * reaches one of them, so give every instance the same index backed by a shared store (Redis...) by implementing
 * this interface and setting `strategy.sessionIndex`. The sessions themselves are ended through the
 * `express-session` store (`store.destroy(id)`), which such deployments share already.
 */
export interface SessionIndex {
  /** Records that application session `sessionId` belongs to IS session `sid` (when IS sent one) of user `sub`. */
  add(sid: string | undefined, sub: string, sessionId: string): void | Promise<void>;
  /**
   * Removes and returns the application session ids of IS session `sid`, or of every IS session of user `sub`.
   * An unknown `sid`/`sub` gives an empty list.
   */
  take(key: { sid: string } | { sub: string }): string[] | Promise<string[]>;
}

/** The part of an `express-session` store that ending a session needs (MemoryStore, connect-redis, ...). */
export interface SessionStoreLike {
  destroy(sid: string, callback?: (err?: unknown) => void): void;
}

/** Options of {@link MemorySessionIndex}. */
export interface MemorySessionIndexOptions {
  /** Most application sessions remembered; the oldest are forgotten beyond it. Default 100000. */
  maxSessions?: number;
  /** Seconds an entry is kept (it should outlive the application's sessions). Default 14 days (IS "remember me"). */
  ttl?: number;
}

interface Entry {
  sid: string | undefined;
  sub: string;
  at: number;
}

/**
 * The default {@link SessionIndex}: in this process's memory, bounded in size and age. Suits one instance (or
 * sticky sessions); use a shared implementation when several instances serve the application.
 */
export class MemorySessionIndex implements SessionIndex {
  private readonly entries = new Map<string, Entry>();
  private readonly bySid = new Map<string, Set<string>>();
  private readonly bySub = new Map<string, Set<string>>();
  private readonly maxSessions: number;
  private readonly ttl: number;

  constructor(options: MemorySessionIndexOptions = {}) {
    this.maxSessions = options.maxSessions ?? 100_000;
    this.ttl = (options.ttl ?? 14 * 24 * 3600) * 1000;
  }

  /** How many application sessions are indexed. */
  get size(): number {
    return this.entries.size;
  }

  add(sid: string | undefined, sub: string, sessionId: string): void {
    this.remove(sessionId);
    this.entries.set(sessionId, { sid, sub, at: Date.now() });
    if (sid !== undefined) link(this.bySid, sid, sessionId);
    link(this.bySub, sub, sessionId);
    const oldest = Date.now() - this.ttl;
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.maxSessions && entry.at >= oldest) break;
      this.remove(id);
    }
  }

  take(key: { sid: string } | { sub: string }): string[] {
    const ids = 'sid' in key ? this.bySid.get(key.sid) : this.bySub.get(key.sub);
    const list = [...(ids ?? [])];
    for (const id of list) this.remove(id);
    return list;
  }

  private remove(sessionId: string): void {
    const entry = this.entries.get(sessionId);
    if (!entry) return;
    this.entries.delete(sessionId);
    if (entry.sid !== undefined) unlink(this.bySid, entry.sid, sessionId);
    unlink(this.bySub, entry.sub, sessionId);
  }
}

function link(map: Map<string, Set<string>>, key: string, id: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(id);
}

function unlink(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) map.delete(key);
}

/** Ends the application sessions `ids` in `store`; resolves with how many were ended, rejects on a store fault. */
export async function destroySessions(store: SessionStoreLike, ids: string[]): Promise<number> {
  await Promise.all(ids.map((id) => new Promise<void>((resolve, reject) => {
    store.destroy(id, (err?: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()));
  })));
  return ids.length;
}
