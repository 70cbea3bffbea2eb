/**
 * Why `key` cannot name a cache entry, or `undefined` when it can: a key must be a non-empty string
 * (an empty key would also give an entry and its load lock different Redis Cluster slots) of well-formed
 * UTF-16 (a lone surrogate becomes U+FFFD in UTF-8, so `'u\uD800'` and `'u\uDC00'` would be one key to
 * Redis and to the invalidation bus).
 */
export function invalidCacheKey(key: unknown): TypeError | undefined {
  return invalidName(key, 'key');
}

/** Throws {@link invalidCacheKey}'s error. */
export function assertCacheKey(key: unknown): asserts key is string {
  const error = invalidCacheKey(key);
  if (error) throw error;
}

/** Throws unless `tags` is an array of non-empty strings of well-formed UTF-16, like keys. */
export function assertCacheTags(tags: unknown): void {
  // NOTE: a string is iterable too: `tags: 'products'` would otherwise be eight one-letter tags.
  if (!Array.isArray(tags)) throw new TypeError(`nestjs-tiered-cache: tags must be an array of strings, got ${describeKey(tags)}`);
  for (const tag of tags) {
    const error = invalidName(tag, 'tag');
    if (error) throw error;
    // NOTE: tag versions travel in plain records, where this name would set the prototype instead.
    if (tag === '__proto__') throw new TypeError("nestjs-tiered-cache: '__proto__' cannot be a cache tag");
  }
}

/** Names what was given as a key, for error messages: `an empty string`, `undefined`, `a number`. */
export function describeKey(key: unknown): string {
  // NOTE: not JSON.stringify, which throws on a BigInt or a cycle while we are only building an error.
  if (key === '') return 'an empty string';
  if (key === null || key === undefined) return String(key);
  return typeof key === 'object' ? 'an object' : `a ${typeof key}`;
}

function invalidName(name: unknown, what: 'key' | 'tag'): TypeError | undefined {
  if (typeof name !== 'string' || name === '') {
    return new TypeError(`nestjs-tiered-cache: a cache ${what} must be a non-empty string, got ${describeKey(name)}`);
  }
  if (isWellFormed(name)) return undefined;
  return new TypeError(
    `nestjs-tiered-cache: a cache ${what} must be well-formed UTF-16; ${JSON.stringify(name.slice(0, 60))} has a lone surrogate, which Redis would store as U+FFFD`,
  );
}

// NOTE: String.prototype.isWellFormed is native since Node 20, newer than the ES2023 typings.
function isWellFormed(value: string): boolean {
  return (value as string & { isWellFormed(): boolean }).isWellFormed();
}
