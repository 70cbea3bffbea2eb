import type { CacheEngine } from '../engine/cache.engine.js';
import type { KeyBuilder } from '../keys/key-template.js';
import type { CachePutOptions } from './cache-decorator.types.js';
import { type OriginalMethod } from './cache-operation.js';
import { compileKey, compileTags, decoratorDuration } from './compiled-keys.js';
import { CompiledOperation } from './compiled-operation.js';
import { DecoratorOptionsGuard } from './decorator-options.guard.js';
import { CacheDecoratorError } from '../cache.errors.js';

const ALLOWED_OPTIONS = ['cache', 'key', 'ttl', 'grace', 'tags', 'unless'];

interface CompiledCachePut {
  key: KeyBuilder;
  tags: (args: readonly unknown[]) => string[];
  ttl: number | undefined;
  grace: number | undefined;
  unless: ((...args: unknown[]) => boolean) | undefined;
}

/** `@CachePut`: write-through; the method always runs, then its result replaces the cached entry. */
export class CachePutOperation extends CompiledOperation<CachePutOptions, CompiledCachePut> {
  protected async run(compiled: CompiledCachePut, engine: CacheEngine, method: OriginalMethod, thisArg: unknown, args: unknown[]): Promise<unknown> {
    const result = await method.apply(thisArg, args);
    if (result === undefined || compiled.unless?.(result, ...args)) return result;
    await engine.put(compiled.key(args), result, {
      ttl: compiled.ttl ?? engine.defaults.ttl,
      grace: compiled.grace ?? engine.defaults.grace,
      tags: compiled.tags(args),
    });
    return result;
  }

  protected build(): CompiledCachePut {
    const { site, options } = this;
    const guard = new DecoratorOptionsGuard(this.location, '@CachePut');
    guard.shape(options, ALLOWED_OPTIONS);
    if (options.key === undefined) throw new CacheDecoratorError(this.location, '@CachePut needs a `key`');
    return {
      key: compileKey(site, options.key),
      tags: compileTags(site, guard.optionalArray(options.tags, 'tags')),
      ttl: options.ttl === undefined ? undefined : decoratorDuration(site, options.ttl, 'ttl'),
      grace: options.grace === undefined ? undefined : decoratorDuration(site, options.grace, 'grace'),
      unless: guard.optionalFunction(options.unless, 'unless'),
    };
  }
}
