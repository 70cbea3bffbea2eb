/**
 * Why `key` cannot name a cache entry, or `undefined` when it can: a key must be a non-empty string.
 * (An empty key would also give an entry and its load lock different Redis Cluster slots.)
 */
export function invalidCacheKey(key: unknown): TypeError | undefined {
  if (typeof key === 'string' && key !== '') return undefined;
  return new TypeError(`nestjs-tiered-cache: a cache key must be a non-empty string, got ${JSON.stringify(key)}`);
}

/** Throws {@link invalidCacheKey}'s error. */
export function assertCacheKey(key: unknown): asserts key is string {
  const error = invalidCacheKey(key);
  if (error) throw error;
}
