import type { AsyncMethodDecorator } from './cache-decorator.types.js';
import type { CacheableBatchOptions } from './cacheable-batch.types.js';
import { CacheableBatchOperation } from './cacheable-batch.operation.js';
import { cacheDecorator } from './cached-method.wrapper.js';

/**
 * Read-through caching of a method taking an array of ids (its first parameter) and resolving to an
 * array aligned with them or a Map id → value: cached ids are served from the cache, the method runs
 * once with the missing ids only, once per id across all instances; ids it does not return are not cached.
 * @example `@CacheableBatch({ key: 'product:{id}', ttl: '10m', tags: ['product:{id}'] })`
 */
export function CacheableBatch<Args extends [readonly unknown[], ...unknown[]], Result>(options: CacheableBatchOptions<Args>): AsyncMethodDecorator<Args, Result> {
  return cacheDecorator<Args, Result>(options, (site) => new CacheableBatchOperation(site, options));
}
