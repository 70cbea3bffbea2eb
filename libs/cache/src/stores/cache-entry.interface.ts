/** One cached value with its timing, as a store keeps it. Times are epoch milliseconds. */
export interface CacheEntry<T = unknown> {
  value: T;
  /** When the value was produced. */
  createdAt: number;
  /** Until when the value is fresh (created + ttl). */
  freshUntil: number;
  /** Until when the value may still be served stale (fresh-until + grace). */
  staleUntil: number;
  /** How long producing the value took, in milliseconds (for probabilistic early refresh); 0 if unknown. */
  loadDuration?: number;
  /** Tag → version the entry was created under; it is valid only while every version is unchanged. */
  tags?: Readonly<Record<string, number>>;
}

/** A store layer: `l1` (in-process) or `l2` (Redis). */
export type CacheLayer = 'l1' | 'l2';

/** What both tiers implement; keys are namespace-relative. Injectable through `L1_STORE` and `L2_STORE`. */
export interface CacheStore {
  readonly layer: CacheLayer;
  /** The entry if present and valid for its tags (fresh or stale), else `undefined`. */
  get<T>(key: string): Promise<CacheEntry<T> | undefined>;
  /** Entries in the order of `keys`. */
  getMany<T>(keys: readonly string[]): Promise<(CacheEntry<T> | undefined)[]>;
  /** Stores an entry until its `staleUntil`. */
  set(key: string, entry: CacheEntry): Promise<void>;
  /** Stores several entries in one round trip (per slot on Cluster). */
  setMany(items: readonly { key: string; entry: CacheEntry }[]): Promise<void>;
  /** Removes entries. */
  delete(keys: readonly string[]): Promise<void>;
  /** Removes every entry of this namespace, and only those. */
  clear(): Promise<void>;
}
