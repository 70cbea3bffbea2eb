import { Redis } from 'ioredis';
import { startCacheApp, type CacheApp } from './support/cache-app.factory.js';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

describe('hygiene and isolation', () => {
  const apps: CacheApp[] = [];
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisUrl());
  });
  afterAll(() => redis.disconnect());
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('clear() removes this namespace only', async () => {
    const mine = await startCacheApp({ namespace: uniqueNamespace('mine'), l2: { redis: redisUrl() } });
    const theirs = await startCacheApp({ namespace: uniqueNamespace('theirs'), l2: { redis: redisUrl() } });
    apps.push(mine, theirs);
    const unrelated = `unrelated:${uniqueNamespace()}`;
    await redis.set(unrelated, 'keep', 'EX', 60);
    await mine.cache.setMany(Array.from({ length: 1_200 }, (_, index) => ({ key: `k${index}`, value: index, tags: ['t'] })));
    await theirs.cache.set('k1', 'theirs');

    await mine.cache.clear();

    expect(await redis.keys(`${mine.cache.namespace}:*`)).toEqual([]);
    expect(await mine.cache.get('k1')).toBeUndefined();
    expect(await theirs.cache.get('k1')).toBe('theirs');
    expect(await redis.get(unrelated)).toBe('keep');
  });

  it('does not let one caller’s mutation reach the next caller', async () => {
    const app = await startCacheApp({ namespace: uniqueNamespace(), l2: { redis: redisUrl() } });
    apps.push(app);
    await app.cache.set('product', { name: 'lamp', tags: ['a'], seen: new Date(0), meta: new Map([['k', 1]]) });

    const first = await app.cache.get<{ name: string; tags: string[]; seen: Date; meta: Map<string, number> }>('product');
    expect(() => {
      first!.name = 'changed';
    }).toThrow(TypeError);
    expect(() => first!.tags.push('b')).toThrow(TypeError);
    expect(() => first!.seen.setFullYear(2000)).toThrow(TypeError);
    expect(() => first!.meta.set('k', 2)).toThrow(TypeError);

    expect(await app.cache.get('product')).toEqual({ name: 'lamp', tags: ['a'], seen: new Date(0), meta: new Map([['k', 1]]) });
  });

  it('hands out a fresh copy of binary values on every hit', async () => {
    const app = await startCacheApp({ namespace: uniqueNamespace(), l2: { redis: redisUrl() } });
    apps.push(app);
    await app.cache.set('file', { bytes: Buffer.from('abc') });
    const first = await app.cache.get<{ bytes: Buffer }>('file');
    first!.bytes[0] = 0x7a;
    expect((await app.cache.get<{ bytes: Buffer }>('file'))!.bytes.toString()).toBe('abc');
  });

  it('returns the loaded value to the loading caller as the same read-only copy later callers get', async () => {
    const app = await startCacheApp({ namespace: uniqueNamespace(), l2: { redis: redisUrl() } });
    apps.push(app);
    const original = { count: 1 };
    const loaded = await app.cache.getOrSet('counter', async () => original);
    original.count = 99;
    expect(Object.isFrozen(loaded)).toBe(true);
    expect(await app.cache.get('counter')).toEqual({ count: 1 });
  });
});
