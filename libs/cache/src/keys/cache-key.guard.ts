/**
 * Why `key` cannot name a cache entry, or `undefined` when it can: a key must be a non-empty string.
 * (An empty key would also give an entry and its load lock different Redis Cluster slots.)
 */
export function invalidCacheKey(key: unknown): TypeError | undefined {
  if (typeof key === 'string' && key !== '') return undefined;
  return new TypeError(`nestjs-tiered-cache: a cache key must be a non-empty string, got ${describeKey(key)}`);
}

/** Throws {@link invalidCacheKey}'s error. */
export function assertCacheKey(key: unknown): asserts key is string {
  const error = invalidCacheKey(key);
  if (error) throw error;
}

/** Names what was given as a key, for error messages: `an empty string`, `undefined`, `a number`. */
export function describeKey(key: unknown): string {
  // NOTE: not JSON.stringify, which throws on a BigInt or a cycle while we are only building an error.
  if (key === '') return 'an empty string';
  if (key === null || key === undefined) return String(key);
  return typeof key === 'object' ? 'an object' : `a ${typeof key}`;
}
