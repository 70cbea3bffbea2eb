import type { CacheService } from '../cache.service.js';
import type { KeyBuilder } from '../keys/key-template.js';
import type { LoaderContext } from '../read-through/loader-context.js';
import type { Loader, ReadThroughPlan } from '../read-through/read-through.js';
import { isRefreshDue, refreshAtProblem, type RefreshAt } from '../refresh/refresh-policy.js';
import type { CacheableOptions, RefreshAheadOptions } from './cache-decorator.types.js';
import { CacheDecoratorError, type OriginalMethod } from './cache-operation.js';
import { compileKey, compileTags, decoratorDuration } from './compiled-keys.js';
import { CompiledOperation } from './compiled-operation.js';
import { DecoratorOptionsGuard } from './decorator-options.guard.js';

const DEFAULT_NULL_TTL = 60_000;

const ALLOWED_OPTIONS = ['cache', 'key', 'ttl', 'grace', 'timeout', 'tags', 'condition', 'unless', 'cacheNull', 'l1', 'refreshAt'];

type Predicate = (...args: unknown[]) => boolean;

interface CompiledCacheable {
  key: KeyBuilder;
  tags: (args: readonly unknown[]) => string[];
  ttl: number | undefined;
  grace: number | undefined;
  timeout: number | undefined;
  nullTtl: number | undefined;
  condition: Predicate | undefined;
  unless: Predicate | undefined;
  useL1: boolean;
  refreshAt: RefreshAt | undefined;
}

/**
 * `@Cacheable` (and `@RefreshAhead`, which adds `refreshAt`): a fresh hit skips the method; a miss runs
 * it once per key across instances; with `refreshAt`, a late hit also refreshes in the background.
 */
export class CacheableOperation extends CompiledOperation<RefreshAheadOptions | CacheableOptions, CompiledCacheable> {
  protected run(compiled: CompiledCacheable, cache: CacheService, method: OriginalMethod, thisArg: unknown, args: unknown[]): Promise<unknown> {
    if (compiled.condition !== undefined && !compiled.condition(...args)) return method.apply(thisArg, args);
    const key = compiled.key(args);
    const hit = compiled.useL1 ? cache.peekFresh(key) : undefined;
    if (hit === undefined) return cache.getOrLoad(key, this.loader(compiled, cache, method, thisArg, args), this.plan(compiled, cache, args));
    if (compiled.refreshAt !== undefined && isRefreshDue(hit, compiled.refreshAt, Date.now())) {
      cache.refreshInBackground(key, this.loader(compiled, cache, method, thisArg, args), this.plan(compiled, cache, args));
    }
    return Promise.resolve(hit.value);
  }

  private loader(compiled: CompiledCacheable, cache: CacheService, method: OriginalMethod, thisArg: unknown, args: unknown[]): Loader<unknown> {
    // NOTE: a cached null never outlives what the method's own ttl would give a value.
    const nullTtl = compiled.nullTtl === undefined ? undefined : Math.min(compiled.nullTtl, compiled.ttl ?? cache.defaults.ttl);
    return async (context: LoaderContext): Promise<unknown> => {
      const result = await method.apply(thisArg, args);
      if (result == null && nullTtl !== undefined) context.setTtl(nullTtl);
      return result;
    };
  }

  private plan(compiled: CompiledCacheable, cache: CacheService, args: unknown[]): ReadThroughPlan {
    return {
      ttl: compiled.ttl ?? cache.defaults.ttl,
      grace: compiled.grace ?? cache.defaults.grace,
      tags: compiled.tags(args),
      timeout: compiled.timeout,
      l1: compiled.useL1,
      shouldCache: (result) => this.shouldCache(compiled, result, args),
      refreshAt: compiled.refreshAt,
    };
  }

  private shouldCache(compiled: CompiledCacheable, result: unknown, args: unknown[]): boolean {
    if (result == null && compiled.nullTtl === undefined) return false;
    return compiled.unless === undefined || !compiled.unless(result, ...args);
  }

  protected build(): CompiledCacheable {
    const { site, options } = this;
    const guard = new DecoratorOptionsGuard(this.location, options !== null && typeof options === 'object' && 'refreshAt' in options ? '@RefreshAhead' : '@Cacheable');
    guard.shape(options, ALLOWED_OPTIONS);
    return {
      key: compileKey(site, options.key),
      tags: compileTags(site, guard.optionalArray(options.tags, 'tags')),
      ttl: options.ttl === undefined ? undefined : decoratorDuration(site, options.ttl, 'ttl'),
      grace: options.grace === undefined ? undefined : decoratorDuration(site, options.grace, 'grace'),
      timeout: options.timeout === undefined ? undefined : decoratorDuration(site, options.timeout, 'timeout'),
      nullTtl: this.nullTtl(guard),
      condition: guard.optionalFunction<Predicate>(options.condition, 'condition'),
      unless: guard.optionalFunction<Predicate>(options.unless, 'unless'),
      useL1: guard.optionalBoolean(options.l1, 'l1') !== false,
      refreshAt: this.refreshAt(),
    };
  }

  private refreshAt(): RefreshAt | undefined {
    if (!('refreshAt' in this.options)) return undefined;
    const problem = refreshAtProblem(this.options.refreshAt);
    if (problem) throw new CacheDecoratorError(this.location, problem);
    return this.options.refreshAt;
  }

  private nullTtl(guard: DecoratorOptionsGuard): number | undefined {
    const { cacheNull } = this.options;
    if (cacheNull === undefined || cacheNull === false) return undefined;
    if (cacheNull === true) return DEFAULT_NULL_TTL;
    if (cacheNull === null || typeof cacheNull !== 'object') throw guard.typeError('cacheNull', 'true, false or { ttl }');
    return decoratorDuration(this.site, cacheNull.ttl, 'cacheNull.ttl');
  }
}
