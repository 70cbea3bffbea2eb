import type { Duration } from '../options/duration.parser.js';

/** Options of {@link CacheWarmer}. */
export interface CacheWarmerOptions {
  /** Six-field cron expression (seconds first), e.g. `'0 *\/5 * * * *'`; each tick runs once across all instances. */
  cron?: string;
  /** Warm before `app.init()` resolves (bounded by `timeout`). Default `false`. */
  runOnStartup?: boolean;
  /** Longest a warm cycle may take. Default `'30s'`. */
  timeout?: Duration;
  /** Name in logs, locks and metrics. Default: the class name. */
  name?: string;
  /**
   * The cache that runs it (its lock, its metrics) and whose decorated calls inside `warm()` rewrite
   * entries: a name given to `CacheModule.forRoot({ name })`. Default: the default cache.
   */
  cache?: string;
}

/** Metadata key of the warmer options. */
export const CACHE_WARMER = Symbol('nestjs-tiered-cache:warmer');

/**
 * Marks a provider implementing `Warmer` as a cache warmer: run on startup and/or on a cron schedule,
 * one instance at a time, its decorated calls rewriting the cache.
 * @example `@CacheWarmer({ cron: '0 *\/5 * * * *', runOnStartup: true })`
 */
export function CacheWarmer(options: CacheWarmerOptions = {}): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(CACHE_WARMER, options, target);
  };
}

/** The warmer options of a class, if it is one. */
export function warmerOptionsOf(target: unknown): CacheWarmerOptions | undefined {
  if (typeof target !== 'function') return undefined;
  return Reflect.getMetadata(CACHE_WARMER, target) as CacheWarmerOptions | undefined;
}
