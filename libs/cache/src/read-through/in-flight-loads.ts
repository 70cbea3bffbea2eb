import type { InvalidationMessage } from '../invalidation/invalidation-message.js';

interface SharedLoad {
  promise: Promise<unknown>;
  tags: readonly string[];
}

/** The loads running in this process, one per key, which concurrent misses of the key share. */
export class InFlightLoads {
  private readonly loads = new Map<string, SharedLoad>();

  /** The load of `key` running here, if any. */
  join<T>(key: string): Promise<T> | undefined {
    return this.loads.get(key)?.promise as Promise<T> | undefined;
  }

  /** Shares `load` with later misses of `key` until it settles. */
  share<T>(key: string, tags: readonly string[], load: Promise<T>): Promise<T> {
    const promise = load.finally(() => {
      if (this.loads.get(key)?.promise === promise) this.loads.delete(key);
    });
    this.loads.set(key, { promise, tags });
    return promise;
  }

  /** New callers must not join a load that an invalidation has made stale; other loads stay shared. */
  forget(message: InvalidationMessage): void {
    if (message.clear) {
      this.loads.clear();
      return;
    }
    for (const key of message.keys ?? []) this.loads.delete(key);
    if (!message.tags?.length) return;
    const tags = new Set(message.tags);
    for (const [key, load] of this.loads) {
      if (load.tags.some((tag) => tags.has(tag))) this.loads.delete(key);
    }
  }
}
