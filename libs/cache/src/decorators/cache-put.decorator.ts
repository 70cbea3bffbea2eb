import type { AsyncMethodDecorator, CachePutOptions } from './cache-decorator.types.js';
import { CachePutOperation } from './cache-put.operation.js';
import { cacheDecorator } from './cached-method.wrapper.js';

/**
 * Write-through: the method always runs; its result then replaces the entry under `key` in every tier
 * and instance. `undefined` results are not cached.
 * @example `@CachePut({ key: 'product:{0.id}', tags: ['product:{0.id}'] })`
 */
export function CachePut<Args extends unknown[], Result>(options: CachePutOptions<Args, Result>): AsyncMethodDecorator<Args, Result> {
  return cacheDecorator<Args, Result>(options, (site) => new CachePutOperation(site, options));
}
