import type { InvalidationMessage } from '../invalidation/invalidation-message.js';

/** The load of one key, shared by its concurrent misses. */
export interface SharedLoad {
  promise: Promise<unknown> | undefined;
  tags: readonly string[];
}

/** The loads running in this process, one per key, which concurrent misses of the key share. */
export class InFlightLoads {
  private readonly loads = new Map<string, SharedLoad>();

  /** The load of `key` running here, if any. */
  join<T>(key: string): Promise<T> | undefined {
    return this.loads.get(key)?.promise as Promise<T> | undefined;
  }

  /** Registers the load of `key` before its promise exists; {@link settle} gives it the promise. */
  open(key: string, tags: readonly string[]): SharedLoad {
    const shared: SharedLoad = { promise: undefined, tags };
    this.loads.set(key, shared);
    return shared;
  }

  /** The promise later misses of the key join until the load is {@link close}d. */
  settle<T>(shared: SharedLoad, promise: Promise<T>): Promise<T> {
    shared.promise = promise;
    return promise;
  }

  /** Later misses of `key` no longer join `shared`. */
  close(key: string, shared: SharedLoad): void {
    if (this.loads.get(key) === shared) this.loads.delete(key);
  }

  /** Closes `shared` once `load` settles. */
  closeAfter<T>(key: string, shared: SharedLoad, load: Promise<T>): Promise<T> {
    return load.finally(() => this.close(key, shared));
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
