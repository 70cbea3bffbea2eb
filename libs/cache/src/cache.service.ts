import { Inject, Injectable, Logger } from '@nestjs/common';
import { CACHE_OPTIONS, L1_STORE, L2_STORE } from './cache.constants.js';
import { InvalidationLog } from './invalidation/invalidation-log.js';
import { assertCacheKey, assertCacheTags, invalidCacheKey } from './keys/cache-key.guard.js';
import { INVALIDATION_BUS, type InvalidationBus } from './invalidation/invalidation-bus.js';
import { PendingInvalidations } from './invalidation/pending-invalidations.js';
import { InvalidCacheOptionError, parseDuration, type Duration } from './options/duration.parser.js';
import { resolveJitter } from './options/cache-options.validator.js';
import { splitInvalidateArguments, type ItemsThenOptions } from './invalidation/invalidate-options.js';
import type { ResolvedCacheOptions } from './options/resolved-options.interface.js';
import type { LoaderContext } from './read-through/loader-context.js';
import { ReadThrough, type Loader, type ReadThroughPlan } from './read-through/read-through.js';
import { LoadRunner } from './read-through/load-runner.js';
import { RefreshScope } from './read-through/refresh-scope.js';
import { RefreshAhead } from './refresh/refresh-ahead.js';
import { isRefreshDue, refreshAtProblem, type RefreshAt } from './refresh/refresh-policy.js';
import { CacheEvents } from './events/cache.events.js';
import { CacheStats } from './stats/cache-stats.js';
import type { EncodedEntry } from './serialization/envelope.codec.js';
import type { CacheEntry } from './stores/cache-entry.interface.js';
import type { MemoryStore } from './stores/memory.store.js';
import type { SharedTier } from './stores/redis.store.js';
import { TieredStore, type EntryPlan } from './stores/tiered.store.js';

/** Options of {@link CacheService.set}. */
export interface SetOptions {
  ttl?: Duration;
  grace?: Duration;
  tags?: readonly string[];
  /** Random spread of `ttl` (`0.1` = up to ±10 %); default the module's `jitter`. */
  jitter?: number;
  /** `false` keeps the entry out of L1 (this instance's copy is dropped; reads go to Redis). */
  l1?: false;
}

/** Options of {@link CacheService.get}. */
export interface GetOptions<T> {
  /** Returned instead of `undefined` when no fresh value is cached (it is not cached). */
  default: T;
}

/** Options of {@link CacheService.getOrSet}. */
export interface GetOrSetOptions extends SetOptions {
  /** Past ttl (within grace), how long to wait for the loader before serving the stale value. */
  timeout?: Duration;
  /**
   * Refresh ahead: a read after this fraction of the ttl (e.g. `0.8`) returns the cached value and
   * reloads it in the background, once across all instances; `'xfetch'` for probabilistic early expiration.
   */
  refreshAhead?: RefreshAt;
  /**
   * How long callers wait for a loader that never settles: then they get a `CacheLoadTimeoutError` (or the
   * stale value within grace) and the next call loads again. Default `'60s'`.
   */
  hardTimeout?: Duration;
  /** Skip both tiers: run the loader and write its result everywhere (its error reaches the caller). */
  forceFresh?: boolean;
  /** After the loader fails within grace, how long the stale value is served without calling it again; default the module's. */
  failureThrottle?: Duration;
}

/** One item of {@link CacheService.setMany}. */
export interface SetManyItem<T = unknown> extends SetOptions {
  key: string;
  value: T;
}

const NO_OPTIONS: GetOrSetOptions = {};
// NOTE: short, because a holder extends its lock while its loader runs: a dead holder's lock is gone within 3 s.
const LOCK_TTL = 3_000;

/** The cache API; every key is relative to the module's namespace. */
@Injectable()
export class CacheService {
  private readonly logger = new Logger('TieredCache');
  private readonly l1: MemoryStore | undefined;
  private readonly tiered: TieredStore;
  private readonly readThrough: ReadThrough;
  private readonly refreshScope = new RefreshScope();
  private readonly pending: PendingInvalidations;
  private readonly refreshAhead: RefreshAhead;
  private readonly defaultPlan: { readonly ttl: number; readonly grace: number };

  constructor(
    @Inject(CACHE_OPTIONS) private readonly options: ResolvedCacheOptions,
    @Inject(L1_STORE) l1: MemoryStore | null,
    @Inject(L2_STORE) l2: SharedTier | null,
    @Inject(INVALIDATION_BUS) bus: InvalidationBus,
    invalidations: InvalidationLog,
    pending: PendingInvalidations,
    /** Counters of hits, misses, stale hits and errors per layer. */
    readonly stats: CacheStats,
    /** Events to log or trace what the cache does: `cache.events.on('stale', ({ key, reason }) => ...)`. */
    readonly events: CacheEvents,
  ) {
    this.l1 = l1 ?? undefined;
    this.defaultPlan = Object.freeze({ ttl: options.defaultTtl, grace: options.grace });
    this.pending = pending;
    pending.attach((message) => this.tiered.applyToRedis(message).then(() => undefined));
    this.tiered = new TieredStore(
      this.l1,
      l2 ?? undefined,
      invalidations,
      (message) => this.readThrough.forget(message),
      this.pending,
      bus,
      stats,
      options.l2 ? options.l2.commandTimeout : 0,
      events,
      options.jitter,
    );
    const lock = {
      wait: options.l2 ? options.l2.lockWait : 0,
      ttl: LOCK_TTL,
      owner: bus.instanceId,
    };
    const runner = new LoadRunner(this.tiered, stats, lock, events);
    this.refreshAhead = new RefreshAhead(this.tiered, runner, stats, this.logger);
    this.readThrough = new ReadThrough(this.tiered, stats, this.logger, lock, runner, this.refreshAhead, events, options.failureThrottle);
    bus.onRemoteInvalidation((message) => this.tiered.invalidateLocally(message, true));
  }

  /** The namespace every key is relative to. */
  get namespace(): string {
    return this.options.namespace;
  }

  /** The module's default ttl and grace, in milliseconds. */
  get defaults(): { readonly ttl: number; readonly grace: number } {
    return this.defaultPlan;
  }

  /**
   * The fresh L1 entry of `key`, counted as an L1 hit, or `undefined` (not counted). Synchronous and
   * allocation-free: the decorators' hit path.
   */
  peekFresh<T>(key: string): CacheEntry<T> | undefined {
    if (this.l1 === undefined || this.refreshScope.isActive) return undefined;
    const entry = this.l1.peekFresh<T>(key);
    if (entry !== undefined) this.stats.hits.l1 += 1;
    return entry;
  }

  /** The fresh value, or `undefined` (or `options.default`): L1 first, then L2 (promoting to L1). */
  get<T>(key: string): Promise<T | undefined>;
  get<T>(key: string, options: GetOptions<T>): Promise<T>;
  get<T>(key: string, options?: GetOptions<T>): Promise<T | undefined> {
    if (this.l1 !== undefined) {
      const entry = this.l1.peekFresh<T>(key);
      if (entry !== undefined) {
        this.stats.hits.l1 += 1;
        return Promise.resolve(entry.value);
      }
      this.stats.misses.l1 += 1;
    }
    const fallback = options?.default;
    if (!this.tiered.l2) return Promise.resolve(fallback);
    const invalid = invalidCacheKey(key);
    if (invalid) return Promise.reject(invalid);
    return this.getFromL2<T>(key).then((found) => (found === undefined ? fallback : found.value));
  }

  /** How long the cached value of `key` stays fresh, in milliseconds; `undefined` when none is fresh. */
  async ttl(key: string): Promise<number | undefined> {
    const entry = this.l1?.peekFresh(key);
    if (entry !== undefined) return remaining(entry.freshUntil);
    assertCacheKey(key);
    const found = await this.tiered.readL2(key);
    return found === undefined ? undefined : remaining(found.freshUntil);
  }

  /** Whether a fresh value is cached. */
  async has(key: string): Promise<boolean> {
    if (this.l1?.peekFresh(key) !== undefined) return true;
    assertCacheKey(key);
    return (await this.getFromL2(key)) !== undefined;
  }

  /** Writes L1 and L2; throws `CacheSerializationError` (writing nothing) if the value cannot be stored. */
  async set<T>(key: string, value: T, options: SetOptions = NO_OPTIONS): Promise<void> {
    await this.put(key, value, this.plan(options));
  }

  /** {@link set} with options already resolved (durations in milliseconds); used by `@CachePut`. */
  async put<T>(key: string, value: T, plan: EntryPlan): Promise<void> {
    assertCacheKey(key);
    const budget = this.tiered.budget();
    const snapshot = await this.tiered.snapshotTags(plan.tags, plan.ttl + plan.grace, budget);
    await this.tiered.write(key, value, plan, snapshot, undefined, budget);
  }

  /**
   * Removes keys from L1 and L2 and tells other instances; never throws because Redis is down. With
   * `{ soft: true }` last, marks them stale instead (see {@link InvalidateOptions}).
   */
  async delete(...keysThenOptions: ItemsThenOptions): Promise<void> {
    const { items: keys, soft } = splitInvalidateArguments(keysThenOptions);
    keys.forEach(assertCacheKey);
    if (keys.length > 0) await this.tiered.invalidate({ keys: [...new Set(keys)], ...softFlag(soft) });
  }

  /**
   * Read-through: a fresh hit returns at once; a miss runs `loader` once per key across all instances.
   * Past ttl but within grace, a loader that throws (or outlives `timeout`) yields the stale value.
   */
  getOrSet<T>(key: string, loader: (context: LoaderContext<T>) => Promise<T> | T, options: GetOrSetOptions = NO_OPTIONS): Promise<T> {
    return this.readOrLoad(key, loader, options, undefined);
  }

  /**
   * Read-through with options already resolved (durations in milliseconds); used by the decorators so
   * nothing is parsed per call.
   */
  getOrLoad<T>(key: string, loader: Loader<T>, plan: ReadThroughPlan): Promise<T> {
    return this.readOrLoad(key, loader, NO_OPTIONS, plan);
  }

  private readOrLoad<T>(key: string, loader: Loader<T>, options: GetOrSetOptions, plan: ReadThroughPlan | undefined): Promise<T> {
    // NOTE: any forceFresh but false takes the loading path, where a non-boolean is rejected.
    const refreshing = this.refreshScope.isActive || (options.forceFresh !== undefined && options.forceFresh !== false);
    const useL1 = !refreshing && (plan ? plan.l1 : options.l1) !== false && this.l1 !== undefined;
    const entry = useL1 ? this.l1!.peekFresh<T>(key) : undefined;
    if (entry !== undefined) {
      this.stats.hits.l1 += 1;
      const refreshAt = plan ? plan.refreshAt : options.refreshAhead;
      if (refreshAt !== undefined && isRefreshDue(entry, refreshAt, Date.now())) {
        this.refreshInBackground(key, loader, plan ?? this.readThroughPlan(options));
      }
      return Promise.resolve(entry.value);
    }
    if (useL1) this.stats.misses.l1 += 1;
    const invalid = invalidCacheKey(key);
    if (invalid) return Promise.reject(invalid);
    const stale = useL1 ? this.l1!.peek<T>(key) : undefined;
    let resolved: ReadThroughPlan;
    try {
      resolved = plan ?? this.readThroughPlan(options);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.readThrough.load(key, loader, resolved, stale, refreshing);
  }

  /**
   * Reloads `key` in the background (refresh ahead), once across all instances; never throws. Used after
   * a hit past the entry's `refreshAt` point.
   */
  refreshInBackground<T>(key: string, loader: Loader<T>, plan: ReadThroughPlan): void {
    this.refreshAhead.start(key, loader, plan);
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
    if (missing.length === 0 || !this.tiered.l2) return values;
    const position = this.tiered.position;
    const found = await this.tiered.readManyL2(missing.map((index) => keys[index]));
    found.forEach((entry, missingIndex) => {
      const index = missing[missingIndex];
      values[index] = this.acceptFromL2<T>(keys[index], entry, position)?.value;
    });
    return values;
  }

  /** Writes many entries, batched per tier; nothing is written if one value cannot be serialized. */
  async setMany(items: readonly SetManyItem[]): Promise<void> {
    for (const { key } of items) assertCacheKey(key);
    await this.tiered.writeMany(items.map(({ key, value, ...options }) => ({ key, value, plan: this.plan(options) })));
  }

  /**
   * Every entry carrying one of `tags` is gone for every instance: one Redis command per tag. With
   * `{ soft: true }` last, they are marked stale instead (see {@link InvalidateOptions}).
   */
  async invalidateTags(...tagsThenOptions: ItemsThenOptions): Promise<void> {
    const { items: tags, soft } = splitInvalidateArguments(tagsThenOptions);
    assertCacheTags(tags);
    if (tags.length > 0) await this.tiered.invalidate({ tags: [...new Set(tags)], ...softFlag(soft) });
  }

  /** Deletes this namespace's entries (SCAN + UNLINK in batches), never other namespaces. */
  async clear(): Promise<void> {
    await this.tiered.invalidate({ clear: true });
  }

  /** Runs `fn` with cached reads bypassing the cache and rewriting it (used by warmers). */
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

  private getFromL2<T>(key: string): Promise<{ value: T } | undefined> {
    if (!this.tiered.l2) return Promise.resolve(undefined);
    const position = this.tiered.position;
    return this.tiered.readL2(key).then((found) => this.acceptFromL2<T>(key, found, position));
  }

  /** Counts an L2 read as a hit (promoting the fresh value to L1) or a miss. */
  private acceptFromL2<T>(key: string, found: EncodedEntry | undefined, position: number): { value: T } | undefined {
    if (found === undefined || found.freshUntil <= Date.now()) {
      this.stats.misses.l2 += 1;
      return undefined;
    }
    this.stats.hits.l2 += 1;
    return { value: this.tiered.promote<T>(key, found, position) };
  }

  private plan(options: SetOptions): EntryPlan {
    if (options.tags !== undefined) assertCacheTags(options.tags);
    return {
      ttl: options.ttl === undefined ? this.options.defaultTtl : parseDuration(options.ttl, 'ttl'),
      grace: options.grace === undefined ? this.options.grace : parseDuration(options.grace, 'grace'),
      tags: options.tags ?? [],
      ...(options.jitter === undefined ? {} : { jitter: resolveJitter(options.jitter, 'jitter') }),
      ...(options.l1 === undefined ? {} : { l1: l1Flag(options.l1) }),
    };
  }

  private readThroughPlan(options: GetOrSetOptions): ReadThroughPlan {
    if (options.forceFresh !== undefined && typeof options.forceFresh !== 'boolean') {
      throw new InvalidCacheOptionError('forceFresh', `${String(options.forceFresh)} must be true or false`);
    }
    return {
      ...this.plan(options),
      timeout: options.timeout === undefined ? undefined : parseDuration(options.timeout, 'timeout'),
      hardTimeout: options.hardTimeout === undefined ? undefined : parseDuration(options.hardTimeout, 'hardTimeout'),
      shouldCache: undefined,
      refreshAt: validRefreshAt(options.refreshAhead),
      ...(options.failureThrottle === undefined ? {} : { failureThrottle: parseDuration(options.failureThrottle, 'failureThrottle') }),
    };
  }
}

function remaining(freshUntil: number): number | undefined {
  const left = freshUntil - Date.now();
  return left > 0 ? left : undefined;
}

function softFlag(soft: boolean): { soft?: true } {
  return soft ? { soft } : {};
}

function l1Flag(l1: unknown): false {
  if (l1 === false) return false;
  throw new InvalidCacheOptionError('l1', `${String(l1)} is not allowed: only false (keep the entry out of L1)`);
}

function validRefreshAt(refreshAt: RefreshAt | undefined): RefreshAt | undefined {
  if (refreshAt === undefined) return undefined;
  const problem = refreshAtProblem(refreshAt);
  if (problem) throw new TypeError(`nestjs-tiered-cache: refreshAhead: ${problem}`);
  return refreshAt;
}
