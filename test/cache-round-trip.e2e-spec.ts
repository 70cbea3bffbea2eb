import { CacheSerializationError } from 'nestjs-tiered-cache';
import { Redis } from 'ioredis';
import { startCacheApp, type CacheApp } from './support/cache-app.factory.js';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

describe('round trip through Redis', () => {
  let writer: CacheApp;
  let reader: CacheApp;
  let redis: Redis;
  let namespace: string;

  beforeEach(async () => {
    namespace = uniqueNamespace();
    const options = { namespace, l2: { redis: redisUrl() } };
    writer = await startCacheApp(options);
    reader = await startCacheApp(options);
    redis = new Redis(redisUrl());
  });

  afterEach(async () => {
    await Promise.all([writer.close(), reader.close()]);
    redis.disconnect();
  });

  it('reads back in a second instance what the first wrote, types included', async () => {
    const value = {
      createdAt: new Date('2024-02-03T04:05:06.789Z'),
      byId: new Map<string, unknown>([['a', { n: 1 }], ['b', new Set([1, 'two'])]]),
      tags: new Set(['x', 'y']),
      huge: 2n ** 200n + 7n,
      small: -5n,
      bytes: Buffer.from('héllo'),
      nothing: null,
      nested: { missing: undefined, list: [1, undefined, 'three'] },
    };
    await writer.cache.set('product:13', value);

    const readBack = await reader.cache.get<typeof value>('product:13');

    expect(readBack).toEqual(value);
    expect(readBack?.byId).toBeInstanceOf(Map);
    expect(readBack?.tags).toBeInstanceOf(Set);
    expect(Buffer.isBuffer(readBack?.bytes)).toBe(true);
    expect(readBack && 'missing' in readBack.nested).toBe(true);
  });

  it('round-trips null and primitives', async () => {
    await writer.cache.set('null', null);
    await writer.cache.set('text', 'hello');
    expect(await reader.cache.get('null')).toBeNull();
    expect(await reader.cache.get('text')).toBe('hello');
    expect(await reader.cache.has('null')).toBe(true);
    expect(await reader.cache.has('absent')).toBe(false);
  });

  it('refuses a value holding a function, naming the key, and writes nothing', async () => {
    const call = writer.cache.set('bad:1', { compute: () => 1 });
    await expect(call).rejects.toBeInstanceOf(CacheSerializationError);
    await expect(writer.cache.set('bad:1', { compute: () => 1 })).rejects.toThrow(/bad:1/);
    expect(await redis.keys(`${namespace}:*`)).toEqual([]);
    expect(await writer.cache.get('bad:1')).toBeUndefined();
  });

  it('refuses an empty key with a clear error', async () => {
    await expect(writer.cache.set('', 1)).rejects.toThrow(/non-empty string/);
    await expect(writer.cache.getOrSet('', async () => 1)).rejects.toThrow(/non-empty string/);
    await expect(writer.cache.delete('')).rejects.toThrow(/non-empty string/);
  });

  it('refuses a cyclic value, naming the key', async () => {
    const cyclic: Record<string, unknown> = { id: 1 };
    cyclic.self = cyclic;
    await expect(writer.cache.set('cyclic', cyclic)).rejects.toThrow(/'cyclic'.*cycle/);
  });

  it('gives every written key a TTL and keeps it under the namespace prefix', async () => {
    await writer.cache.set('product:1', { id: 1 }, { ttl: '1m', grace: '1m', tags: ['products'] });
    const keys = await redis.keys(`${namespace}:*`);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(120_000);
    }
  });
});
