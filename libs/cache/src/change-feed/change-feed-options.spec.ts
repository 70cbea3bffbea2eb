import { resolveCacheOptions } from '../options/cache-options.validator.js';
import { InvalidCacheOptionError } from '../cache.errors.js';

const feed = { postgres: 'postgres://app@db/shop', slot: 'shop_cache', publication: 'shop_cache' };

describe('changeFeed options', () => {
  it('is off unless configured, and fills in defaults', () => {
    expect(resolveCacheOptions({ namespace: 'shop' }).changeFeed).toBeUndefined();
    expect(resolveCacheOptions({ namespace: 'shop', changeFeed: feed }).changeFeed).toEqual({
      ...feed,
      retryInterval: 2_000,
      statusInterval: 10_000,
      lagInterval: 15_000,
      maxLagBytes: undefined,
    });
    expect(resolveCacheOptions({ namespace: 'shop', changeFeed: { ...feed, postgres: { host: 'db' } } }).changeFeed?.postgres).toEqual({ host: 'db' });
  });

  it.each([
    [{ ...feed, postgres: 'mysql://db' }, /'changeFeed.postgres'/],
    [{ ...feed, postgres: undefined }, /'changeFeed.postgres'/],
    [{ ...feed, slot: 'Shop-Cache' }, /'changeFeed.slot'.*\[a-z0-9_\]/],
    [{ ...feed, slot: undefined }, /'changeFeed.slot'/],
    [{ ...feed, publication: 'a b' }, /'changeFeed.publication'/],
    [{ ...feed, retryInterval: 0 }, /'changeFeed.retryInterval'/],
    [{ ...feed, maxLagBytes: '1GB' }, /'changeFeed.maxLagBytes'.*positive integer/],
    [{ ...feed, tables: ['products'] }, /'changeFeed.tables'.*unknown option/],
  ])('rejects %p naming the option', (changeFeed, message) => {
    const options = { namespace: 'shop', changeFeed } as unknown as Parameters<typeof resolveCacheOptions>[0];
    expect(() => resolveCacheOptions(options)).toThrow(InvalidCacheOptionError);
    expect(() => resolveCacheOptions(options)).toThrow(message);
  });
});
