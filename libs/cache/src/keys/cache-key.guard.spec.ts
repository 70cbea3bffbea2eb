import { assertCacheKey, assertCacheTags, invalidCacheKey } from './cache-key.guard.js';

describe('invalidCacheKey', () => {
  it('accepts a non-empty string', () => {
    expect(invalidCacheKey('product:13')).toBeUndefined();
  });

  it.each([
    ['', /got an empty string/],
    [undefined, /got undefined/],
    [null, /got null/],
    [13, /got a number/],
    [13n, /got a bigint/],
    [{}, /got an object/],
  ])('describes %p without throwing', (key, message) => {
    const error = invalidCacheKey(key);
    expect(error).toBeInstanceOf(TypeError);
    expect(error?.message).toMatch(/must be a non-empty string/);
    expect(error?.message).toMatch(message);
  });

  it('describes a cyclic object without throwing', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(invalidCacheKey(cyclic)?.message).toMatch(/got an object/);
  });
});

describe('assertCacheKey', () => {
  it('throws the error invalidCacheKey describes', () => {
    expect(() => assertCacheKey('ok')).not.toThrow();
    expect(() => assertCacheKey('')).toThrow(/non-empty string/);
  });
});

describe('well-formed UTF-16 (issue 7.21)', () => {
  it.each(['u\uD800', 'u\uDC00', '\uDE00\uD83D', 'a\uD83D'])('rejects the key %p with a lone surrogate', (key) => {
    expect(invalidCacheKey(key)?.message).toMatch(/well-formed UTF-16/);
  });

  it('accepts surrogate pairs and U+FFFD', () => {
    expect(invalidCacheKey('u\uFFFD')).toBeUndefined();
    expect(invalidCacheKey('😀')).toBeUndefined();
  });

  it('checks tags the same way, naming them', () => {
    expect(() => assertCacheTags(['products', 'u\uD800'])).toThrow(/cache tag must be well-formed/);
    expect(() => assertCacheTags([''])).toThrow(/cache tag must be a non-empty string/);
    expect(() => assertCacheTags(['__proto__'])).toThrow(/'__proto__' cannot be a cache tag/);
    expect(() => assertCacheTags(['products', 'product:13'])).not.toThrow();
  });
});
