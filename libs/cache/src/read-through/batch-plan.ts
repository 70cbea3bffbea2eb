import { assertCacheTags } from '../keys/cache-key.guard.js';
import { InvalidCacheOptionError } from '../cache.errors.js';
import { parseDuration, type Duration } from '../options/duration.parser.js';
import { DEFAULT_HARD_TIMEOUT } from './read-through.js';

/** What a batch loader returns: a Map key → value, or an array with one item per key it got, in order. */
export type BatchResult<T> = ReadonlyMap<string, T | undefined> | readonly (T | undefined)[];

/** The loader of `getManyOrSet`: called with the missing keys only (at most `maxBatchSize` of them). */
export type BatchLoader<T> = (keys: string[]) => Promise<BatchResult<T>> | BatchResult<T>;

/** Options of `CacheService.getManyOrSet`. */
export interface GetManyOrSetOptions {
  ttl?: Duration;
  grace?: Duration;
  /** Tags of every entry, or a function of the key giving each entry's tags (known before the load). */
  tags?: readonly string[] | ((key: string) => readonly string[]);
  /** Past ttl (within grace), how long to wait for the loader before serving the stale values (when all its keys have one). */
  timeout?: Duration;
  /** How long callers wait for a loader that never settles, as in `getOrSet`. Default `'60s'`. */
  hardTimeout?: Duration;
  /** The most keys one loader call gets; more missing keys are loaded in several concurrent calls. Default 1000. */
  maxBatchSize?: number;
}

/** How one batch read-through call caches, durations in milliseconds. */
export interface BatchPlan {
  ttl: number;
  grace: number;
  tagsOf: (key: string) => readonly string[];
  timeout: number | undefined;
  hardTimeout: number;
  /** `false` keeps the entries out of L1. */
  l1: boolean | undefined;
  /** Which results are cached; the others are returned but not cached. */
  shouldCache: (value: unknown) => boolean;
  maxBatchSize: number;
}

/** Default of `maxBatchSize`. */
export const DEFAULT_MAX_BATCH_SIZE = 1_000;
// NOTE: one Lua call per slot carries every entry of a batch: bounded so a single call cannot stall Redis.
const LARGEST_BATCH_SIZE = 10_000;
const NO_TAGS: readonly string[] = Object.freeze([]);

/** Resolves and checks `getManyOrSet` options; throws an `InvalidCacheOptionError` naming the option. */
export function batchPlan(options: GetManyOrSetOptions, defaults: { ttl: number; grace: number }): BatchPlan {
  return {
    ttl: options.ttl === undefined ? defaults.ttl : parseDuration(options.ttl, 'ttl'),
    grace: options.grace === undefined ? defaults.grace : parseDuration(options.grace, 'grace'),
    tagsOf: tagsOf(options.tags),
    timeout: options.timeout === undefined ? undefined : parseDuration(options.timeout, 'timeout'),
    hardTimeout: options.hardTimeout === undefined ? DEFAULT_HARD_TIMEOUT : parseDuration(options.hardTimeout, 'hardTimeout'),
    l1: undefined,
    shouldCache: (value) => value !== undefined,
    maxBatchSize: validMaxBatchSize(options.maxBatchSize),
  };
}

/** Checks `maxBatchSize` (a whole number from 1 to 10,000), returning the default when it is not given. */
export function validMaxBatchSize(value: unknown, option = 'maxBatchSize'): number {
  if (value === undefined) return DEFAULT_MAX_BATCH_SIZE;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > LARGEST_BATCH_SIZE) {
    throw new InvalidCacheOptionError(option, `must be a whole number from 1 to ${LARGEST_BATCH_SIZE}, got ${String(value)}`);
  }
  return value;
}

function tagsOf(tags: GetManyOrSetOptions['tags']): (key: string) => readonly string[] {
  if (tags === undefined) return () => NO_TAGS;
  if (typeof tags === 'function') {
    return (key) => {
      const keyTags = tags(key);
      assertCacheTags(keyTags);
      return keyTags;
    };
  }
  if (!Array.isArray(tags)) throw new InvalidCacheOptionError('tags', 'must be an array of strings or a function of the key');
  assertCacheTags(tags);
  return () => tags;
}

/** The loader's result as one value per key, in the order of `keys`; throws when it is neither a Map nor an aligned array. */
export function alignResult<T>(keys: readonly string[], result: BatchResult<T>): (T | undefined)[] {
  if (result instanceof Map) return keys.map((key) => result.get(key));
  if (Array.isArray(result) && result.length === keys.length) return result as (T | undefined)[];
  const got = Array.isArray(result) ? `an array of ${result.length}` : typeof result;
  throw new TypeError(`nestjs-tiered-cache: a batch loader must return a Map or an array with one item per key (${keys.length}), got ${got}`);
}
