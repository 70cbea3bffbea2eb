/** The name of a cache registered without `name`. */
export const DEFAULT_CACHE_NAME = 'default';

// NOTE: apart from getCacheToken so that a test providing a mock under `CacheService` does not hand the
// mock to decorated methods (they run uncached without a CacheModule, as before).
/** Injection token through which decorated methods receive their cache. */
export function decoratedCacheToken(name: string): string {
  return `nestjs-tiered-cache:${name}:decorated`;
}
