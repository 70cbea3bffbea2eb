import { assertCacheKey, assertCacheTags, invalidCacheKey } from '../keys/cache-key.guard.js';
import type { PendingInvalidations } from '../invalidation/pending-invalidations.js';
import type { BatchLoader, BatchPlan } from '../read-through/batch-plan.js';
import type { BatchReadThrough } from '../read-through/batch-read-through.js';
import type { InFlightLoads } from '../read-through/in-flight-loads.js';
import type { ReadThrough, ReadThroughPlan, StaleValue } from '../read-through/read-through.js';
import { RefreshScope } from '../read-through/refresh-scope.js';
import type { RefreshAhead } from '../refresh/refresh-ahead.js';
import { isRefreshDue } from '../refresh/refresh-policy.js';
import { entryValue, type EncodedEntry } from '../serialization/envelope.codec.js';
import type { CacheEvents } from '../events/cache.events.js';
import type { CacheStats } from '../stats/cache-stats.js';
import type { CacheEntry, CacheLayer } from '../stores/cache-entry.interface.js';
import type { MemoryStore } from '../stores/memory.store.js';
import type { RedisBudget } from '../stores/redis-budget.js';
import type { EntryPlan, TieredStore } from '../stores/tiered.store.js';
import type { EntryDefaults, ReadSource } from './read-source.interface.js';

/** The parts the engine is wired from (see `createCacheEngine`). */
export interface CacheEngineParts {
  namespace: string;
  defaults: EntryDefaults;
  tiered: TieredStore;
  loads: InFlightLoads;
  readThrough: ReadThrough;
  batch: BatchReadThrough;
  refreshAhead: RefreshAhead;
  pending: PendingInvalidations;
  stats: CacheStats;
  events: CacheEvents;
}

/**
 * The cache behind `CacheService`, the decorators, HTTP caching and the `CACHE_MANAGER` adapter, with
 * options already resolved (durations in milliseconds). Counts every hit and miss.
 */
export class CacheEngine {
  readonly namespace: string;
  /** The module's default ttl and grace, in milliseconds. */
  readonly defaults: EntryDefaults;
  readonly stats: CacheStats;
  readonly events: CacheEvents;
  private readonly l1: MemoryStore | undefined;
  private readonly tiered: TieredStore;
  private readonly loads: InFlightLoads;
  private readonly readThrough: ReadThrough;
  private readonly batch: BatchReadThrough;
  private readonly refreshAhead: RefreshAhead;
  private readonly pending: PendingInvalidations;
  private readonly refreshScope = new RefreshScope();

  constructor(parts: CacheEngineParts) {
    this.namespace = parts.namespace;
    this.defaults = parts.defaults;
    this.stats = parts.stats;
    this.events = parts.events;
    this.l1 = parts.tiered.l1;
    this.tiered = parts.tiered;
    this.loads = parts.loads;
    this.readThrough = parts.readThrough;
    this.batch = parts.batch;
    this.refreshAhead = parts.refreshAhead;
    this.pending = parts.pending;
  }

  /**
   * The read path of every read-through call, in order:
   * 1. a fresh L1 entry is returned at once (and reloaded in the background when its refresh is due);
   * 2. a miss joins the load of the key already running in this process, if any;
   * 3. else a fresh L2 entry is copied into L1 and returned (reloaded likewise when due);
   * 4. else the loader runs under the key's cross-instance lock, or the call waits for the instance
   *    holding it ({@link ReadThrough}), the stale value being the fallback.
   * Inside `refreshing(fn)` the loader runs at once and rewrites the entry. Never throws: rejects.
   * NOTE: the call comes as two arguments (`subject`, `input`) rather than one object, so a hit allocates nothing.
   */
  read<T, Subject, Input>(key: string, source: ReadSource<T, Subject, Input>, subject: Subject, input: Input): Promise<T> {
    const refreshing = this.refreshScope.isActive || source.forceFresh?.(subject, input) === true;
    const l1 = refreshing || !source.l1 ? undefined : this.l1;
    const fresh = l1?.peekFresh<T>(key);
    if (fresh === undefined) return this.readMiss(key, source, subject, input, l1, refreshing);
    this.hit(key, 'l1');
    this.refreshIfDue(key, fresh, source, subject, input);
    return Promise.resolve(fresh.value);
  }

  // NOTE: apart from the hit, so that the hit path stays small enough for V8 to inline it whole.
  private readMiss<T, Subject, Input>(key: string, source: ReadSource<T, Subject, Input>, subject: Subject, input: Input, l1: MemoryStore | undefined, refreshing: boolean): Promise<T> {
    if (l1 !== undefined) this.miss(key, 'l1');
    const invalid = invalidCacheKey(key);
    if (invalid) return Promise.reject(invalid);
    let plan: ReadThroughPlan;
    try {
      plan = source.plan(subject, input, this.defaults);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const shared = refreshing ? undefined : this.loads.join<T>(key);
    if (shared !== undefined) {
      this.stats.coalesced += 1;
      return shared;
    }
    const l1Stale = staleOf(l1?.peek<T>(key));
    if (refreshing) return this.loadAfterL2(key, source, subject, input, plan, l1Stale, undefined, this.tiered.budget(), this.tiered.position, true);
    return this.readL2ThenLoad(key, source, subject, input, plan, l1Stale);
  }

  /**
   * NOTE: no async frame, one closure, and the Redis budget made only on a miss: this is the L2 hit path,
   * where each of them shows up as CPU and GC time. The key's in-flight entry is opened before the read,
   * so concurrent misses of a cold key share one read and one load; a hit closes it at once.
   */
  private readL2ThenLoad<T, Subject, Input>(key: string, source: ReadSource<T, Subject, Input>, subject: Subject, input: Input, plan: ReadThroughPlan, l1Stale: StaleValue<T> | undefined): Promise<T> {
    const position = this.tiered.position;
    const started = Date.now();
    const flight = this.loads.open(key, plan.tags);
    // NOTE: one round trip each: the entry with its tags' versions; on a miss the tag snapshot with the
    // lock; after the loader, the write.
    return this.loads.settle(
      flight,
      this.tiered.readL2(key, undefined, plan.tags).then((found) => {
        if (found === undefined || found.freshUntil <= Date.now()) {
          const budget = this.tiered.budget();
          budget.charge(started, Date.now());
          return this.loads.closeAfter(key, flight, this.loadAfterL2(key, source, subject, input, plan, l1Stale, found, budget, position, false));
        }
        this.loads.close(key, flight);
        this.refreshIfDue(key, found, source, subject, input);
        return this.hitInL2<T>(key, found, position, plan.l1);
      }),
    );
  }

  private async loadAfterL2<T, Subject, Input>(
    key: string,
    source: ReadSource<T, Subject, Input>,
    subject: Subject,
    input: Input,
    plan: ReadThroughPlan,
    l1Stale: StaleValue<T> | undefined,
    found: EncodedEntry | undefined,
    budget: RedisBudget,
    position: number,
    refreshing: boolean,
  ): Promise<T> {
    if (!refreshing && this.tiered.l2) this.miss(key, 'l2');
    const stale = newerStale(l1Stale, found);
    const serveFound = (entry: EncodedEntry): T => this.hitInL2<T>(key, entry, position, plan.l1);
    return this.readThrough.load(key, source.loader(subject, input, this.defaults), plan, stale, { budget, position, refreshing, serveFound });
  }

  /** The one place refresh ahead is decided: a fresh entry past its `refreshAt` point reloads in the background. */
  private refreshIfDue<T, Subject, Input>(key: string, entry: Pick<CacheEntry, 'createdAt' | 'freshUntil' | 'loadDuration'>, source: ReadSource<T, Subject, Input>, subject: Subject, input: Input): void {
    const refreshAt = source.refreshAt(subject, input);
    if (refreshAt === undefined || !isRefreshDue(entry, refreshAt, Date.now())) return;
    this.refreshAhead.start(key, source.loader(subject, input, this.defaults), source.plan(subject, input, this.defaults));
  }

  /** The fresh L1 entry of `key`, counted as an L1 hit, or `undefined` (not counted); synchronous. */
  peekFresh<T>(key: string): CacheEntry<T> | undefined {
    if (this.l1 === undefined || this.refreshScope.isActive) return undefined;
    const entry = this.l1.peekFresh<T>(key);
    if (entry !== undefined) this.hit(key, 'l1');
    return entry;
  }

  /** The fresh value, or `undefined`: L1 first, then L2 (promoting to L1). */
  get<T>(key: string): Promise<T | undefined> {
    if (this.l1 !== undefined) {
      const entry = this.l1.peekFresh<T>(key);
      if (entry !== undefined) {
        this.hit(key, 'l1');
        return Promise.resolve(entry.value);
      }
      this.miss(key, 'l1');
    }
    if (!this.tiered.l2) return Promise.resolve(undefined);
    const invalid = invalidCacheKey(key);
    if (invalid) return Promise.reject(invalid);
    return this.getFromL2<T>(key).then((found) => found?.value);
  }

  /** Whether a fresh value is cached (an L1 entry is not counted as a hit). */
  async has(key: string): Promise<boolean> {
    if (this.l1?.peekFresh(key) !== undefined) return true;
    assertCacheKey(key);
    return (await this.getFromL2(key)) !== undefined;
  }

  /** Values in the order of `keys` (`undefined` where missing); one round trip per tier (per slot on Cluster). */
  async getMany<T>(keys: readonly string[]): Promise<(T | undefined)[]> {
    keys.forEach(assertCacheKey);
    const values = new Array<T | undefined>(keys.length);
    const missing: number[] = [];
    keys.forEach((key, index) => {
      const entry = this.l1?.peekFresh<T>(key);
      if (entry !== undefined) values[index] = entry.value;
      else missing.push(index);
    });
    this.stats.hits.l1 += keys.length - missing.length;
    if (this.l1) this.stats.misses.l1 += missing.length;
    if (this.l1 && (this.events.listening.hit || this.events.listening.miss)) this.reportL1(keys, missing);
    if (missing.length === 0 || !this.tiered.l2) return values;
    const position = this.tiered.position;
    const found = await this.tiered.readManyL2(missing.map((index) => keys[index]));
    found.forEach((entry, missingIndex) => {
      const index = missing[missingIndex];
      values[index] = this.acceptFromL2<T>(keys[index], entry, position)?.value;
    });
    return values;
  }

  /**
   * Batch read-through (`getManyOrSet`, `@CacheableBatch`): values in the order of `keys`; the loader runs
   * once with the keys nobody has cached or is loading. Never throws: rejects.
   */
  readMany<T>(keys: readonly string[], loader: BatchLoader<T>, plan: BatchPlan): Promise<(T | undefined)[]> {
    const invalid = keys.map(invalidCacheKey).find((problem) => problem !== undefined);
    if (invalid) return Promise.reject(invalid);
    return this.batch.getMany(keys, loader, plan, this.refreshScope.isActive);
  }

  /** Writes L1 and L2; throws `CacheSerializationError` (writing nothing) if the value cannot be stored. */
  async put<T>(key: string, value: T, plan: EntryPlan): Promise<void> {
    assertCacheKey(key);
    const budget = this.tiered.budget();
    const snapshot = await this.tiered.snapshotTags(plan.tags, plan.ttl + plan.grace, budget);
    await this.tiered.write(key, value, plan, snapshot, undefined, budget);
  }

  /** Writes many entries, batched per tier; nothing is written if one value cannot be serialized. */
  async putMany(items: readonly { key: string; value: unknown; plan: EntryPlan }[]): Promise<void> {
    for (const { key } of items) assertCacheKey(key);
    await this.tiered.writeMany(items);
  }

  /** How long the cached value of `key` stays fresh, in milliseconds; `undefined` when none is fresh. */
  async ttl(key: string): Promise<number | undefined> {
    const entry = this.l1?.peekFresh(key);
    if (entry !== undefined) return remainingFreshness(entry.freshUntil);
    assertCacheKey(key);
    const found = await this.tiered.readL2(key);
    return found === undefined ? undefined : remainingFreshness(found.freshUntil);
  }

  /**
   * Removes keys from L1 and L2 and tells other instances; never throws because Redis is down. `soft`
   * marks them stale instead: never fresh again, still the fallback of a failing load.
   */
  async delete(keys: readonly string[], soft = false): Promise<void> {
    keys.forEach(assertCacheKey);
    if (keys.length > 0) await this.tiered.invalidate({ keys: [...new Set(keys)], ...softFlag(soft) });
  }

  /** Every entry carrying one of `tags` is gone for every instance (stale with `soft`): one Redis command per tag. */
  async invalidateTags(tags: readonly string[], soft = false): Promise<void> {
    assertCacheTags(tags);
    if (tags.length > 0) await this.tiered.invalidate({ tags: [...new Set(tags)], ...softFlag(soft) });
  }

  /** Deletes this namespace's entries (SCAN + UNLINK in batches), never other namespaces. */
  async clear(): Promise<void> {
    await this.tiered.invalidate({ clear: true });
  }

  /** Runs `fn` with reads bypassing the cache and rewriting it (used by warmers). */
  refreshing<T>(fn: () => Promise<T>): Promise<T> {
    return this.refreshScope.run(fn);
  }

  /** Whether invalidations are still waiting for Redis. */
  get hasPendingInvalidations(): boolean {
    return !this.pending.isEmpty;
  }

  /** Stops background retries; called by the module on shutdown. */
  shutdown(): void {
    this.pending.stop();
    this.tiered.l2?.stop();
  }

  private hit(key: string, layer: CacheLayer): void {
    this.stats.hits[layer] += 1;
    if (this.events.listening.hit) this.events.emit('hit', { key, layer });
  }

  private miss(key: string, layer: CacheLayer): void {
    this.stats.misses[layer] += 1;
    if (this.events.listening.miss) this.events.emit('miss', { key, layer });
  }

  /** The L1 hit and miss events of a `getMany` (already counted). */
  private reportL1(keys: readonly string[], missing: readonly number[]): void {
    const missed = new Set(missing);
    keys.forEach((key, index) => {
      const event = missed.has(index) ? 'miss' : 'hit';
      if (this.events.listening[event]) this.events.emit(event, { key, layer: 'l1' });
    });
  }

  private getFromL2<T>(key: string): Promise<{ value: T } | undefined> {
    if (!this.tiered.l2) return Promise.resolve(undefined);
    const position = this.tiered.position;
    return this.tiered.readL2(key).then((found) => this.acceptFromL2<T>(key, found, position));
  }

  /** Counts an L2 read as a hit (promoting the fresh value to L1) or a miss. */
  private acceptFromL2<T>(key: string, found: EncodedEntry | undefined, position: number): { value: T } | undefined {
    if (found !== undefined && found.freshUntil > Date.now()) return { value: this.hitInL2<T>(key, found, position) };
    this.miss(key, 'l2');
    return undefined;
  }

  /** A fresh L2 entry's value, counted as a hit and copied into L1 unless invalidated here since `position`. */
  private hitInL2<T>(key: string, entry: EncodedEntry, position: number, useL1?: boolean): T {
    this.hit(key, 'l2');
    return this.tiered.promote<T>(key, entry, position, useL1);
  }
}

/** The stale value an L1 entry still within grace falls back to. */
function staleOf<T>(entry: CacheEntry<T> | undefined): StaleValue<T> | undefined {
  return entry && entry.staleUntil > Date.now() ? { value: entry.value, createdAt: entry.createdAt } : undefined;
}

function remainingFreshness(freshUntil: number): number | undefined {
  const left = freshUntil - Date.now();
  return left > 0 ? left : undefined;
}

function softFlag(soft: boolean): { soft?: true } {
  return soft ? { soft } : {};
}

/** The newer of the L1 stale value and an L2 entry still within grace. */
function newerStale<T>(l1Stale: StaleValue<T> | undefined, found: EncodedEntry | undefined): StaleValue<T> | undefined {
  if (found === undefined || found.staleUntil <= Date.now() || (l1Stale !== undefined && found.createdAt <= l1Stale.createdAt)) return l1Stale;
  return { value: entryValue<T>(found), createdAt: found.createdAt };
}
