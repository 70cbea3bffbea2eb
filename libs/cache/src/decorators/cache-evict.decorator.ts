import type { AsyncMethodDecorator, CacheEvictOptions } from './cache-decorator.types.js';
import { CacheEvictOperation } from './cache-evict.operation.js';
import { cacheDecorator } from './cached-method.wrapper.js';

/**
 * Evicts after the method succeeds (or before it runs with `beforeInvocation: true`): `key`/`keys`,
 * `tags`, or `all` (this namespace). Every instance drops its copies.
 * @example `@CacheEvict({ keys: ['product:{0}'], tags: ['products'] })`
 */
export function CacheEvict<Args extends unknown[]>(options: CacheEvictOptions<Args>): AsyncMethodDecorator<Args> {
  return cacheDecorator<Args, unknown>(options, (site) => new CacheEvictOperation(site, options));
}
