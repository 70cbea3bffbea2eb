import type { AsyncMethodDecorator, CacheableOptions } from '../decorators/cache-decorator.types.js';
import { CacheableOperation } from '../decorators/cacheable.operation.js';
import { cacheDecorator } from '../decorators/cached-method.wrapper.js';
import type { RefreshAt } from './refresh-policy.js';

const DEFAULT_REFRESH_AT = 0.8;

/**
 * `@Cacheable` that keeps hot entries fresh: a read after `refreshAt × ttl` returns the cached value at
 * once and refreshes it in the background, once across all instances (the load lock).
 * @example `@RefreshAhead({ key: 'products:popular', ttl: '60s', refreshAt: 0.8 })`
 */
export function RefreshAhead<Args extends unknown[], Result>(
  options: CacheableOptions<Args, Result> & { refreshAt?: RefreshAt } = {},
): AsyncMethodDecorator<Args, Result> {
  const refreshAt = options.refreshAt ?? DEFAULT_REFRESH_AT;
  return cacheDecorator<Args, Result>(options, (site) => new CacheableOperation(site, { ...options, refreshAt }));
}
