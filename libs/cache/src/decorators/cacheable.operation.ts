import type { CacheService } from '../cache.service.js';
import type { KeyBuilder } from '../keys/key-template.js';
import type { LoaderContext } from '../read-through/loader-context.js';
import type { CacheableOptions } from './cache-decorator.types.js';
import { CacheDecoratorError, type OriginalMethod } from './cache-operation.js';
import { compileKey, compileTags, decoratorDuration } from './compiled-keys.js';
import { CompiledOperation } from './compiled-operation.js';

const DEFAULT_NULL_TTL = 60_000;

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
}

/** `@Cacheable`: a fresh hit skips the method; a miss runs it once per key across instances. */
export class CacheableOperation extends CompiledOperation<CacheableOptions, CompiledCacheable> {
  protected run(compiled: CompiledCacheable, cache: CacheService, method: OriginalMethod, thisArg: unknown, args: unknown[]): Promise<unknown> {
    if (compiled.condition !== undefined && !compiled.condition(...args)) return method.apply(thisArg, args);
    const key = compiled.key(args);
    const hit = compiled.useL1 ? cache.peekFresh(key) : undefined;
    if (hit !== undefined) return Promise.resolve(hit.value);
    return this.load(cache, compiled, key, method, thisArg, args);
  }

  private load(
    cache: CacheService,
    compiled: CompiledCacheable,
    key: string,
    method: OriginalMethod,
    thisArg: unknown,
    args: unknown[],
  ): Promise<unknown> {
    const defaults = cache.defaults;
    const loader = async (context: LoaderContext): Promise<unknown> => {
      const result = await method.apply(thisArg, args);
      if (result == null && compiled.nullTtl !== undefined) context.setTtl(Math.min(compiled.nullTtl, defaults.ttl));
      return result;
    };
    return cache.getOrLoad(key, loader, {
      ttl: compiled.ttl ?? defaults.ttl,
      grace: compiled.grace ?? defaults.grace,
      tags: compiled.tags(args),
      timeout: compiled.timeout,
      l1: compiled.useL1,
      shouldCache: (result) => this.shouldCache(compiled, result, args),
    });
  }

  private shouldCache(compiled: CompiledCacheable, result: unknown, args: unknown[]): boolean {
    if (result == null && compiled.nullTtl === undefined) return false;
    return compiled.unless === undefined || !compiled.unless(result, ...args);
  }

  protected build(): CompiledCacheable {
    const { site, options } = this;
    if (options === null || typeof options !== 'object') throw new CacheDecoratorError(this.location, 'options must be an object');
    return {
      key: compileKey(site, options.key),
      tags: compileTags(site, options.tags),
      ttl: options.ttl === undefined ? undefined : decoratorDuration(site, options.ttl, 'ttl'),
      grace: options.grace === undefined ? undefined : decoratorDuration(site, options.grace, 'grace'),
      timeout: options.timeout === undefined ? undefined : decoratorDuration(site, options.timeout, 'timeout'),
      nullTtl: this.nullTtl(),
      condition: options.condition as Predicate | undefined,
      unless: options.unless as Predicate | undefined,
      useL1: options.l1 !== false,
    };
  }

  private nullTtl(): number | undefined {
    const { cacheNull } = this.options;
    if (!cacheNull) return undefined;
    if (cacheNull === true) return DEFAULT_NULL_TTL;
    return decoratorDuration(this.site, cacheNull.ttl, 'cacheNull.ttl');
  }
}
