import { LRUCache } from 'lru-cache';
import { TAGS_INVALID, TAGS_STALE, type InvalidationLog } from '../invalidation/invalidation-log.js';
import { freezeCopy, stringSize } from '../serialization/immutable-copy.js';
import { deserialize, serialize } from '../serialization/value.serializer.js';
import type { CacheStats } from '../stats/cache-stats.js';
import type { CacheEntry, CacheStore } from './cache-entry.interface.js';

/** An L1 record: the entry with a frozen private copy of the value, or its bytes when it cannot be frozen. */
interface MemoryRecord extends CacheEntry {
  bytes: Uint8Array | undefined;
  /** Estimated heap held by the entry, in bytes (what `l1.maxBytes` bounds). */
  size: number;
  /** Soft-invalidated: served only as a stale value, never as a fresh one. */
  softened: boolean;
}

// NOTE: what an entry holds besides its value and key: the record with its four timestamps, lru-cache's
// slots for it, and for bytes kept instead of a value their Uint8Array and backing store (measured,
// rounded up; see bench/l1-memory.ts).
const ENTRY_OVERHEAD = 480;
const BYTES_OVERHEAD = 200;
const TAG_OVERHEAD = 40;

const ALLOW_STALE = { allowStale: true } as const;

/** Settings of the in-process tier, durations in milliseconds. */
export interface MemoryStoreOptions {
  max: number;
  maxBytes: number | undefined;
  ttl: number;
}

/**
 * L1: `lru-cache` holding immutable copies. Every value is decoded from the bytes written to L2 and
 * deep-frozen, so all callers share one read-only object and a hit allocates nothing; values holding
 * binary data (Buffer, typed arrays) cannot be frozen and are decoded afresh on every hit instead.
 */
export class MemoryStore implements CacheStore {
  readonly layer = 'l1' as const;
  private readonly lru: LRUCache<string, MemoryRecord>;
  private ttlCap: number;

  constructor(
    private readonly options: MemoryStoreOptions,
    private readonly invalidations: InvalidationLog,
    stats: CacheStats,
  ) {
    this.ttlCap = options.ttl;
    this.lru = new LRUCache<string, MemoryRecord>({
      max: options.max,
      ...(options.maxBytes === undefined
        ? {}
        : { maxSize: options.maxBytes, sizeCalculation: (record) => record.size }),
      ttl: options.ttl,
      // NOTE: the lru-cache TTL is the entry's freshness, so a hit needs no clock read of ours; entries
      // past it stay readable (as stale, for grace) until their stale-until or eviction.
      noDeleteOnStaleGet: true,
      dispose: (_record, _key, reason) => {
        if (reason === 'evict' || reason === 'expire') stats.recordEviction(reason);
      },
    });
    stats.l1Size = {
      keys: () => this.lru.size,
      bytes: () => (options.maxBytes === undefined ? undefined : this.lru.calculatedSize),
    };
  }

  /** Synchronous read for the hit path: the fresh, valid entry or `undefined`. */
  peekFresh<T>(key: string): CacheEntry<T> | undefined {
    const record = this.lru.get(key);
    return record === undefined || record.softened ? undefined : this.validRecord<T>(key, record, true);
  }

  /** The valid entry, fresh or still within its grace, or `undefined`. */
  peek<T>(key: string): CacheEntry<T> | undefined {
    const record = this.lru.get(key, ALLOW_STALE);
    if (record === undefined || record.staleUntil <= Date.now()) return undefined;
    return this.validRecord<T>(key, record, false);
  }

  private validRecord<T>(key: string, record: MemoryRecord, freshOnly: boolean): CacheEntry<T> | undefined {
    if (record.tags !== undefined) {
      const state = this.invalidations.tagState(record.tags);
      if (state === TAGS_INVALID) {
        this.lru.delete(key);
        return undefined;
      }
      if (state === TAGS_STALE && freshOnly) return undefined;
    }
    if (record.bytes === undefined) return record as CacheEntry<T>;
    return { ...record, value: deserialize<T>(record.bytes) };
  }

  /** Keeps a read-only copy of the value encoded as `bytes`; returns that copy (what callers should see). */
  store<T>(key: string, entry: CacheEntry, bytes: Uint8Array): T {
    return this.keep(key, entry, bytes, deserialize<T>(bytes));
  }

  /**
   * Like {@link store} for `entry.value` freshly decoded from `bytes` and held by nobody else (an L2
   * read): L1 keeps that object itself rather than decoding the bytes again.
   */
  adopt<T>(key: string, entry: CacheEntry<T>, bytes: Uint8Array): T {
    return this.keep(key, entry, bytes, entry.value);
  }

  /** The read-only copy of the value encoded as `bytes` that a hit would hand out, without keeping it. */
  copyOf<T>(bytes: Uint8Array): T {
    const copy = deserialize<T>(bytes);
    return freezeCopy(copy) === undefined ? deserialize<T>(bytes) : copy;
  }

  private keep<T>(key: string, entry: CacheEntry, bytes: Uint8Array, copy: T): T {
    const valueSize = freezeCopy(copy);
    const now = Date.now();
    const ttl = Math.min(this.ttlCap, entry.freshUntil - now);
    if (ttl > 0 && entry.staleUntil > now) {
      const record: MemoryRecord = {
        ...entry,
        value: valueSize === undefined ? undefined : copy,
        // NOTE: a copy, never a view: `bytes` may be a slice of ioredis's socket chunk or of Buffer's shared pool.
        bytes: valueSize === undefined ? ownCopy(bytes) : undefined,
        size: ENTRY_OVERHEAD + stringSize(key) + tagsSize(entry.tags) + (valueSize ?? BYTES_OVERHEAD + bytes.length),
        softened: false,
      };
      this.lru.set(key, record, { ttl });
    }
    return valueSize === undefined ? deserialize<T>(bytes) : copy;
  }

  /**
   * Caps how long new entries live; used while the invalidation bus is disconnected.
   * `undefined` restores the configured `l1.ttl`.
   */
  capTtl(milliseconds: number | undefined): void {
    this.ttlCap = milliseconds === undefined ? this.options.ttl : Math.min(milliseconds, this.options.ttl);
  }

  async get<T>(key: string): Promise<CacheEntry<T> | undefined> {
    return this.peek<T>(key);
  }

  async getMany<T>(keys: readonly string[]): Promise<(CacheEntry<T> | undefined)[]> {
    return keys.map((key) => this.peek<T>(key));
  }

  async set(key: string, entry: CacheEntry): Promise<void> {
    this.store(key, entry, serialize(key, entry.value));
  }

  async setMany(items: readonly { key: string; entry: CacheEntry }[]): Promise<void> {
    for (const { key, entry } of items) this.store(key, entry, serialize(key, entry.value));
  }

  async delete(keys: readonly string[]): Promise<void> {
    this.deleteNow(keys);
  }

  async clear(): Promise<void> {
    this.clearNow();
  }

  /** Synchronous clear. */
  clearNow(): void {
    this.lru.clear();
  }

  /**
   * Soft invalidation: the entries stay (until their stale-until) as stale values for when a loader
   * fails, but are never served fresh again.
   */
  softenNow(keys: readonly string[]): void {
    const now = Date.now();
    for (const key of keys) {
      const record = this.lru.peek(key, ALLOW_STALE);
      if (record === undefined) continue;
      record.softened = true;
      record.freshUntil = Math.min(record.freshUntil, now);
    }
  }

  /** Synchronous delete, for invalidations that must take effect before any await. */
  deleteNow(keys: readonly string[]): void {
    for (const key of keys) this.lru.delete(key);
  }
}

function tagsSize(tags: Readonly<Record<string, number>> | undefined): number {
  let size = 0;
  for (const tag in tags) size += TAG_OVERHEAD + stringSize(tag);
  return size;
}

/** A Buffer with a backing store of its own (`allocUnsafeSlow` never uses the shared pool). */
function ownCopy(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  copy.set(bytes);
  return copy;
}
