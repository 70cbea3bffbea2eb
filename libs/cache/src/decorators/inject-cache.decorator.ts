import { Inject } from '@nestjs/common';
import { getCacheToken } from '../cache.tokens.js';

/**
 * Injects the `CacheService` of the cache registered with `CacheModule.forRoot({ name })`; without a name,
 * the default cache (the same as injecting `CacheService`).
 * @example `constructor(@InjectCache('catalog') private readonly catalog: CacheService) {}`
 */
export function InjectCache(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getCacheToken(name));
}
