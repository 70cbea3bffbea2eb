import type { AsyncMethodDecorator, CacheableOptions } from './cache-decorator.types.js';
import { CacheableOperation } from './cacheable.operation.js';
import { cacheDecorator } from './cached-method.wrapper.js';

/**
 * Read-through caching of a Promise-returning method: a fresh hit returns without running it; a miss
 * runs it once per key across all instances and caches the result (never an error).
 * @example `@Cacheable({ key: 'product:{0}', ttl: '10m', tags: ['products', 'product:{0}'] })`
 */
export function Cacheable<Args extends unknown[], Result>(options: CacheableOptions<Args, Result> = {}): AsyncMethodDecorator<Args, Result> {
  return cacheDecorator<Args, Result>(options, (site) => new CacheableOperation(site, options));
}
