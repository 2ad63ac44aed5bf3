/**
 * In-memory storage for oidc-provider models (sessions, interactions, codes, tokens, grants), one store per
 * tenant. It lives outside the provider instance so that a key rotation, which rebuilds the tenant's
 * provider, keeps browser sessions and issued tokens.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number | undefined;
}

/** All models of one tenant. */
export class TenantStorage {
  private readonly entries = new Map<string, Entry>();
  private readonly grants = new Map<string, Set<string>>();

  private key(model: string, id: string): string {
    return `${model}:${id}`;
  }

  get(model: string, id: string): AdapterPayload | undefined {
    const key = this.key(model, id);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(model: string, id: string, payload: AdapterPayload, expiresIn: number | undefined): void {
    const key = this.key(model, id);
    this.entries.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
    if (payload.grantId) {
      let set = this.grants.get(payload.grantId);
      if (!set) this.grants.set(payload.grantId, (set = new Set()));
      set.add(key);
    }
  }

  delete(model: string, id: string): void {
    this.entries.delete(this.key(model, id));
  }

  find(model: string, predicate: (payload: AdapterPayload) => boolean): AdapterPayload | undefined {
    const prefix = `${model}:`;
    for (const [key, entry] of this.entries) {
      if (key.startsWith(prefix) && predicate(entry.payload)) return this.get(model, key.slice(prefix.length));
    }
    return undefined;
  }

  revokeGrant(grantId: string): void {
    for (const key of this.grants.get(grantId) ?? []) this.entries.delete(key);
    this.grants.delete(grantId);
  }

  /** An oidc-provider adapter class bound to this storage. */
  adapterClass(): new (model: string) => Adapter {
    return TenantStorage.adapterFor(this);
  }

  private static adapterFor(storage: TenantStorage): new (model: string) => Adapter {
    return class MemoryAdapter implements Adapter {
      constructor(private readonly model: string) {}

      async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
        storage.set(this.model, id, payload, expiresIn);
      }

      async find(id: string): Promise<AdapterPayload | undefined> {
        return storage.get(this.model, id);
      }

      async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
        return storage.find(this.model, (p) => p.userCode === userCode);
      }

      async findByUid(uid: string): Promise<AdapterPayload | undefined> {
        return storage.find(this.model, (p) => p.uid === uid);
      }

      async consume(id: string): Promise<void> {
        const payload = storage.get(this.model, id);
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      }

      async destroy(id: string): Promise<void> {
        storage.delete(this.model, id);
      }

      async revokeByGrantId(grantId: string): Promise<void> {
        storage.revokeGrant(grantId);
      }
    };
  }
}
