/**
 * Injection token of the cache-manager-compatible cache: the same string as @nestjs/cache-manager's
 * `CACHE_MANAGER`, so `@Inject(CACHE_MANAGER)` resolves whichever package the token is imported from.
 */
export const CACHE_MANAGER = 'CACHE_MANAGER';
