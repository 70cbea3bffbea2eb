import { Injectable } from '@nestjs/common';
import { CacheEngine } from './engine/cache.engine.js';
import type { EntryDefaults, ReadSource } from './engine/read-source.interface.js';
import { assertCacheTags } from './keys/cache-key.guard.js';
import { InvalidCacheOptionError } from './cache.errors.js';
import type { CacheEvents } from './events/cache.events.js';
import { splitInvalidateArguments, type ItemsThenOptions } from './invalidation/invalidate-options.js';
import { resolveJitter } from './options/cache-options.validator.js';
import { parseDuration, type Duration } from './options/duration.parser.js';
import { batchPlan, type BatchLoader, type GetManyOrSetOptions } from './read-through/batch-plan.js';
import type { LoaderContext } from './read-through/loader-context.js';
import type { Loader, ReadThroughPlan } from './read-through/read-through.js';
import { refreshAtProblem, type RefreshAt } from './refresh/refresh-policy.js';
import type { CacheStats } from './stats/cache-stats.js';
import type { EntryPlan } from './stores/tiered.store.js';

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
const NO_BATCH_OPTIONS: GetManyOrSetOptions = {};

/** How `getOrSet` reads (`l1: false` or not): subject the loader, input the options, parsed only on a miss or a due refresh. */
function getOrSetSource(l1: boolean): ReadSource<unknown, Loader<unknown>, GetOrSetOptions> {
  return {
    l1,
    // NOTE: any forceFresh but false takes the loading path, where a non-boolean is rejected.
    forceFresh: (_loader, options) => options.forceFresh !== undefined && options.forceFresh !== false,
    refreshAt: (_loader, options) => validRefreshAt(options.refreshAhead),
    loader: (loader) => loader,
    plan: (_loader, options, defaults) => readThroughPlan(options, defaults),
  };
}
const GET_OR_SET = getOrSetSource(true);
const GET_OR_SET_WITHOUT_L1 = getOrSetSource(false);

/** The engine behind each service, for the library's own parts (decorators, HTTP caching, the adapter). */
const engines = new WeakMap<CacheService, CacheEngine>();

/** The engine behind `cache`. */
export function engineOf(cache: CacheService): CacheEngine {
  return engines.get(cache)!;
}

/** The cache API; every key is relative to the module's namespace. */
@Injectable()
export class CacheService {
  /** Counters of hits, misses, stale hits and errors per layer. */
  readonly stats: CacheStats;
  /** Events to log or trace what the cache does: `cache.events.on('stale', ({ key, reason }) => ...)`. */
  readonly events: CacheEvents;
  private readonly engine: CacheEngine;

  constructor(engine: CacheEngine) {
    this.engine = engine;
    this.stats = engine.stats;
    this.events = engine.events;
    engines.set(this, engine);
  }

  /** The namespace every key is relative to. */
  get namespace(): string {
    return this.engine.namespace;
  }

  /** The fresh value, or `undefined` (or `options.default`): L1 first, then L2 (promoting to L1). */
  get<T>(key: string): Promise<T | undefined>;
  get<T>(key: string, options: GetOptions<T>): Promise<T>;
  get<T>(key: string, options?: GetOptions<T>): Promise<T | undefined> {
    const found = this.engine.get<T>(key);
    return options === undefined ? found : found.then((value) => (value === undefined ? options.default : value));
  }

  /** How long the cached value of `key` stays fresh, in milliseconds; `undefined` when none is fresh. */
  ttl(key: string): Promise<number | undefined> {
    return this.engine.ttl(key);
  }

  /** Whether a fresh value is cached. */
  has(key: string): Promise<boolean> {
    return this.engine.has(key);
  }

  /** Writes L1 and L2; throws `CacheSerializationError` (writing nothing) if the value cannot be stored. */
  async set<T>(key: string, value: T, options: SetOptions = NO_OPTIONS): Promise<void> {
    await this.engine.put(key, value, entryPlan(options, this.engine.defaults));
  }

  /**
   * Removes keys from L1 and L2 and tells other instances; never throws because Redis is down. With
   * `{ soft: true }` last, marks them stale instead (see {@link InvalidateOptions}).
   */
  async delete(...keysThenOptions: ItemsThenOptions): Promise<void> {
    const { items, soft } = splitInvalidateArguments(keysThenOptions);
    await this.engine.delete(items, soft);
  }

  /**
   * Read-through: a fresh hit returns at once; a miss runs `loader` once per key across all instances.
   * Past ttl but within grace, a loader that throws (or outlives `timeout`) yields the stale value.
   */
  getOrSet<T>(key: string, loader: (context: LoaderContext<T>) => Promise<T> | T, options: GetOrSetOptions = NO_OPTIONS): Promise<T> {
    try {
      const source = options.l1 === false ? GET_OR_SET_WITHOUT_L1 : GET_OR_SET;
      return this.engine.read(key, source as ReadSource<T, Loader<T>, GetOrSetOptions>, loader, options);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Values in the order of `keys` (`undefined` where missing); one round trip per tier (per slot on Cluster). */
  getMany<T>(keys: readonly string[]): Promise<(T | undefined)[]> {
    return this.engine.getMany<T>(keys);
  }

  /**
   * Read-through of many keys: values in the order of `keys`. One L1 pass, one L2 round trip (per slot
   * on Cluster), then `loadMissing` once with only the keys nobody has cached or is loading (a Map, or an
   * array in the order of the keys it got); keys it does not return are `undefined` and not cached.
   */
  getManyOrSet<T>(keys: readonly string[], loadMissing: BatchLoader<T>, options: GetManyOrSetOptions = NO_BATCH_OPTIONS): Promise<(T | undefined)[]> {
    try {
      return this.engine.readMany(keys, loadMissing, batchPlan(options, this.engine.defaults));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Writes many entries, batched per tier; nothing is written if one value cannot be serialized. */
  async setMany(items: readonly SetManyItem[]): Promise<void> {
    await this.engine.putMany(items.map(({ key, value, ...options }) => ({ key, value, plan: entryPlan(options, this.engine.defaults) })));
  }

  /**
   * Every entry carrying one of `tags` is gone for every instance: one Redis command per tag. With
   * `{ soft: true }` last, they are marked stale instead (see {@link InvalidateOptions}).
   */
  async invalidateTags(...tagsThenOptions: ItemsThenOptions): Promise<void> {
    const { items, soft } = splitInvalidateArguments(tagsThenOptions);
    await this.engine.invalidateTags(items, soft);
  }

  /** Deletes this namespace's entries (SCAN + UNLINK in batches), never other namespaces. */
  clear(): Promise<void> {
    return this.engine.clear();
  }

  /** Runs `fn` with cached reads bypassing the cache and rewriting it (used by warmers). */
  refreshing<T>(fn: () => Promise<T>): Promise<T> {
    return this.engine.refreshing(fn);
  }

  /** Whether invalidations are still waiting for Redis. */
  get hasPendingInvalidations(): boolean {
    return this.engine.hasPendingInvalidations;
  }
}

/** Resolves `set` options against the module's defaults. */
function entryPlan(options: SetOptions, defaults: EntryDefaults): EntryPlan {
  if (options.tags !== undefined) assertCacheTags(options.tags);
  return {
    ttl: options.ttl === undefined ? defaults.ttl : parseDuration(options.ttl, 'ttl'),
    grace: options.grace === undefined ? defaults.grace : parseDuration(options.grace, 'grace'),
    tags: options.tags ?? [],
    ...(options.jitter === undefined ? {} : { jitter: resolveJitter(options.jitter, 'jitter') }),
    ...(options.l1 === undefined ? {} : { l1: l1Flag(options.l1) }),
  };
}

/** Resolves `getOrSet` options against the module's defaults. */
function readThroughPlan(options: GetOrSetOptions, defaults: EntryDefaults): ReadThroughPlan {
  if (options.forceFresh !== undefined && typeof options.forceFresh !== 'boolean') {
    throw new InvalidCacheOptionError('forceFresh', `${String(options.forceFresh)} must be true or false`);
  }
  return {
    ...entryPlan(options, defaults),
    timeout: options.timeout === undefined ? undefined : parseDuration(options.timeout, 'timeout'),
    hardTimeout: options.hardTimeout === undefined ? undefined : parseDuration(options.hardTimeout, 'hardTimeout'),
    shouldCache: undefined,
    refreshAt: validRefreshAt(options.refreshAhead),
    ...(options.failureThrottle === undefined ? {} : { failureThrottle: parseDuration(options.failureThrottle, 'failureThrottle') }),
  };
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
