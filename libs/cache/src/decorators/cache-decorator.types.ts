import type { Duration } from '../options/duration.parser.js';
import type { RefreshAt } from '../refresh/refresh-policy.js';

/** A method returning a Promise: the only kind the cache decorators accept (checked at compile time). */
export type AsyncMethod = (...args: never) => Promise<unknown>;

/**
 * The signature of every cache method decorator, for a method taking `Args` and resolving to `Result`
 * (both inferred from the decorated method, so the options' callbacks are typed by it).
 */
export type AsyncMethodDecorator<Args extends unknown[] = never, Result = unknown> = (
  target: object,
  propertyKey: string | symbol,
  // NOTE: only `value` is named: a full TypedPropertyDescriptor would reject generic methods (its `set`).
  descriptor: { value?: (...args: Args) => Promise<Result> },
) => void;

/**
 * A cache key: a template such as `'product:{0}'`, `'product:{0.id}'`, `'{1.user.email}'` (argument index,
 * then a property path; interpolated values are escaped), or a function of the method's arguments.
 */
export type KeyTemplate<Args extends unknown[] = never> = string | ((...args: Args) => string);

// NOTE: NoInfer: the argument and result types come from the decorated method only, so a callback
// typed differently from the method is a compile error and an unannotated one gets the method's types.

/** Options of {@link Cacheable}, typed by the decorated method's arguments and result. */
export interface CacheableOptions<Args extends unknown[] = never, Result = never> {
  /** The cache it goes through: a name given to `CacheModule.forRoot({ name })`. Default: the default cache. */
  cache?: string;
  /** The entry's key; default `ClassName.method:` + a stable hash of the arguments. */
  key?: NoInfer<KeyTemplate<Args>>;
  /** Freshness; default the module's `defaultTtl`. */
  ttl?: Duration;
  /** Stale window after ttl; default the module's `grace`. */
  grace?: Duration;
  /** Past ttl (within grace), how long to wait for the method before serving the stale value. */
  timeout?: Duration;
  /** Tags (templates like keys) for `invalidateTags`. */
  tags?: readonly NoInfer<KeyTemplate<Args>>[];
  /** Cache only when this returns true for the arguments. */
  condition?: NoInfer<(...args: Args) => boolean>;
  /** Do not cache a result for which this returns true. */
  unless?: NoInfer<(result: Result, ...args: Args) => boolean>;
  /** Cache `null`/`undefined` results too (a cached `null` is a hit), with ttl `min(ttl, 1m)` or the one given. */
  cacheNull?: boolean | { ttl: Duration };
  /** `false` keeps this method's entries out of L1 (always read from Redis). */
  l1?: false;
}

/** Options of {@link RefreshAhead}: those of `@Cacheable`, plus when to refresh. */
export interface RefreshAheadOptions<Args extends unknown[] = never, Result = never> extends CacheableOptions<Args, Result> {
  /**
   * A read after this fraction of the ttl (default `0.8`) returns the cached value and refreshes it in
   * the background, once across all instances; `'xfetch'`: probabilistic early expiration.
   */
  refreshAt: RefreshAt;
}

/** Options of {@link CachePut}, typed by the decorated method's arguments and result. */
export interface CachePutOptions<Args extends unknown[] = never, Result = never> {
  /** The cache it goes through: a name given to `CacheModule.forRoot({ name })`. Default: the default cache. */
  cache?: string;
  /** The entry's key (required). */
  key: NoInfer<KeyTemplate<Args>>;
  ttl?: Duration;
  grace?: Duration;
  tags?: readonly NoInfer<KeyTemplate<Args>>[];
  /** Do not cache a result for which this returns true. */
  unless?: NoInfer<(result: Result, ...args: Args) => boolean>;
}

/** Options of {@link CacheEvict}, typed by the decorated method's arguments. */
export interface CacheEvictOptions<Args extends unknown[] = never> {
  /** The cache it goes through: a name given to `CacheModule.forRoot({ name })`. Default: the default cache. */
  cache?: string;
  /** One key to evict. */
  key?: NoInfer<KeyTemplate<Args>>;
  /** Keys to evict. */
  keys?: readonly NoInfer<KeyTemplate<Args>>[];
  /** Tags to invalidate. */
  tags?: readonly NoInfer<KeyTemplate<Args>>[];
  /** Clear the whole namespace (not with `key`/`keys`). */
  all?: boolean;
  /** Evict before the method runs (even if it then throws). Default: after it succeeds. */
  beforeInvocation?: boolean;
  /** Mark the keys and tags stale instead of removing them (soft invalidation; not with `all`). */
  soft?: boolean;
}
