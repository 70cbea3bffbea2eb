import type { CacheEngine } from '../engine/cache.engine.js';
import { refreshAtProblem, type RefreshAt } from '../refresh/refresh-policy.js';
import type { CacheableOptions, RefreshAheadOptions } from './cache-decorator.types.js';
import { type OriginalMethod } from './cache-operation.js';
import { CacheableSource } from './cacheable.source.js';
import { compileKey, compileTags, decoratorDuration } from './compiled-keys.js';
import { CompiledOperation } from './compiled-operation.js';
import { DecoratorOptionsGuard } from './decorator-options.guard.js';
import { CacheDecoratorError } from '../cache.errors.js';
import { defaultKeyPrefix } from '../keys/key-template.js';

const DEFAULT_NULL_TTL = 60_000;

const ALLOWED_OPTIONS = ['cache', 'key', 'ttl', 'grace', 'timeout', 'tags', 'condition', 'unless', 'cacheNull', 'l1', 'refreshAt'];

type Predicate = (...args: unknown[]) => boolean;

/**
 * `@Cacheable` (and `@RefreshAhead`, which adds `refreshAt`): a fresh hit skips the method; a miss runs
 * it once per key across instances; with `refreshAt`, a late hit also refreshes in the background.
 */
export class CacheableOperation extends CompiledOperation<RefreshAheadOptions | CacheableOptions, CacheableSource> {
  get defaultKeyPrefix(): string | undefined {
    return this.options?.key === undefined ? defaultKeyPrefix(this.site.className, this.site.methodName) : undefined;
  }

  protected run(source: CacheableSource, engine: CacheEngine, method: OriginalMethod, thisArg: unknown, args: unknown[]): Promise<unknown> {
    if (source.condition !== undefined && !source.condition(...args)) return method.apply(thisArg, args);
    return engine.read(source.key(args), source, thisArg, args);
  }

  protected build(): CacheableSource {
    const { site, options } = this;
    const guard = new DecoratorOptionsGuard(this.location, options !== null && typeof options === 'object' && 'refreshAt' in options ? '@RefreshAhead' : '@Cacheable');
    guard.shape(options, ALLOWED_OPTIONS);
    return new CacheableSource(site.method, {
      key: compileKey(site, options.key),
      tags: compileTags(site, guard.optionalArray(options.tags, 'tags')),
      ttl: options.ttl === undefined ? undefined : decoratorDuration(site, options.ttl, 'ttl'),
      grace: options.grace === undefined ? undefined : decoratorDuration(site, options.grace, 'grace'),
      timeout: options.timeout === undefined ? undefined : decoratorDuration(site, options.timeout, 'timeout'),
      nullTtl: this.nullTtl(guard),
      condition: guard.optionalFunction<Predicate>(options.condition, 'condition'),
      unless: guard.optionalFunction<Predicate>(options.unless, 'unless'),
      l1: guard.optionalBoolean(options.l1, 'l1') !== false,
      refreshAt: this.refreshAt(),
    });
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
