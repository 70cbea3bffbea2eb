import type { Duration } from '../options/duration.parser.js';
import type { RefreshAt } from '../refresh/refresh-policy.js';

/** A method returning a Promise: the only kind the cache decorators accept (checked at compile time). */
export type AsyncMethod = (...args: never[]) => Promise<unknown>;

/** The signature of every cache method decorator. */
export type AsyncMethodDecorator = <M extends AsyncMethod>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void;

/**
 * A cache key: a template such as `'product:{0}'`, `'product:{0.id}'`, `'{1.user.email}'` (argument index,
 * then a property path; interpolated values are escaped), or a function of the method's arguments.
 */
export type KeyTemplate = string | ((...args: never[]) => string);

/** Options of {@link Cacheable}. */
export interface CacheableOptions {
  /** The entry's key; default `ClassName.method:` + a stable hash of the arguments. */
  key?: KeyTemplate;
  /** Freshness; default the module's `defaultTtl`. */
  ttl?: Duration;
  /** Stale window after ttl; default the module's `grace`. */
  grace?: Duration;
  /** Past ttl (within grace), how long to wait for the method before serving the stale value. */
  timeout?: Duration;
  /** Tags (templates like keys) for `invalidateTags`. */
  tags?: readonly KeyTemplate[];
  /** Cache only when this returns true for the arguments. */
  condition?: (...args: never[]) => boolean;
  /** Do not cache a result for which this returns true. */
  unless?: (result: never, ...args: never[]) => boolean;
  /** Cache `null`/`undefined` results too (a cached `null` is a hit), with ttl `min(ttl, 1m)` or the one given. */
  cacheNull?: boolean | { ttl: Duration };
  /** `false` keeps this method's entries out of L1 (always read from Redis). */
  l1?: false;
}

/** Options of {@link RefreshAhead}: those of `@Cacheable`, plus when to refresh. */
export interface RefreshAheadOptions extends CacheableOptions {
  /**
   * A read after this fraction of the ttl (default `0.8`) returns the cached value and refreshes it in
   * the background, once across all instances; `'xfetch'`: probabilistic early expiration.
   */
  refreshAt: RefreshAt;
}

/** Options of {@link CachePut}. */
export interface CachePutOptions {
  /** The entry's key (required). */
  key: KeyTemplate;
  ttl?: Duration;
  grace?: Duration;
  tags?: readonly KeyTemplate[];
  /** Do not cache a result for which this returns true. */
  unless?: (result: never, ...args: never[]) => boolean;
}

/** Options of {@link CacheEvict}. */
export interface CacheEvictOptions {
  /** One key to evict. */
  key?: KeyTemplate;
  /** Keys to evict. */
  keys?: readonly KeyTemplate[];
  /** Tags to invalidate. */
  tags?: readonly KeyTemplate[];
  /** Clear the whole namespace (not with `key`/`keys`). */
  all?: boolean;
  /** Evict before the method runs (even if it then throws). Default: after it succeeds. */
  beforeInvocation?: boolean;
}
