import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CACHE_MANAGER, CacheModule, type Cache } from '../libs/cache/src/index.js';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

async function startInstance(namespace: string): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({
    imports: [CacheModule.forRoot({ namespace, defaultTtl: '1m', l2: { redis: redisUrl() } })],
  }).compile();
  return moduleRef.createNestApplication({ logger: ['error'] }).init();
}

describe('CACHE_MANAGER (the cache-manager v7 Cache surface) on two instances and a real Redis', () => {
  let first: INestApplicationContext;
  let second: INestApplicationContext;
  let cache: Cache;
  let other: Cache;

  beforeAll(async () => {
    const namespace = uniqueNamespace('compat');
    [first, second] = await Promise.all([startInstance(namespace), startInstance(namespace)]);
    cache = first.get<Cache>(CACHE_MANAGER);
    other = second.get<Cache>(CACHE_MANAGER);
  });

  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
  });

  it('set/get/mset/mget across instances; set returns the value', async () => {
    expect(await cache.set('a', { n: 1 }, 60_000)).toEqual({ n: 1 });
    expect(await cache.mset([{ key: 'b', value: 2 }, { key: 'c', value: 3, ttl: 60_000 }])).toHaveLength(2);
    expect(await other.get('a')).toEqual({ n: 1 });
    expect(await other.mget(['a', 'b', 'missing', 'c'])).toEqual([{ n: 1 }, 2, undefined, 3]);
  });

  it('ttl is the expiry time in epoch milliseconds, as in cache-manager v7', async () => {
    const before = Date.now();
    await cache.set('timed', 'x', 5_000);
    const expires = await other.ttl('timed');
    expect(expires).toBeGreaterThanOrEqual(before + 5_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 5_000);
    expect(await other.ttl('never-set')).toBeUndefined();
  });

  it('del, mdel and clear remove entries for every instance', async () => {
    await cache.mset([{ key: 'd1', value: 1 }, { key: 'd2', value: 2 }, { key: 'd3', value: 3 }]);
    expect(await other.mget(['d1', 'd2', 'd3'])).toEqual([1, 2, 3]);
    expect(await cache.del('d1')).toBe(true);
    expect(await cache.mdel(['d2'])).toBe(true);
    await waitFor(async () => (await other.mget(['d1', 'd2'])).every((value) => value === undefined), { timeout: 5_000 });
    expect(await cache.clear()).toBe(true);
    await waitFor(async () => (await other.get('d3')) === undefined, { timeout: 5_000 });
  });

  it('wrap loads once, shares the value with the other instance, with a ttl given as a number, a function or options', async () => {
    let loads = 0;
    const load = async () => {
      loads += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { loads };
    };
    expect(await Promise.all([cache.wrap('w', load, 60_000), cache.wrap('w', load)])).toEqual([{ loads: 1 }, { loads: 1 }]);
    expect(await other.wrap('w', load, 60_000)).toEqual({ loads: 1 });
    await cache.wrap('wf', async () => 'v', (value: string) => (value === 'v' ? 4_000 : 1));
    expect(await other.ttl('wf')).toBeLessThanOrEqual(Date.now() + 4_000);
    expect(await cache.wrap('wo', async () => 'o', { ttl: 3_000, refreshThreshold: 1_000 })).toBe('o');
    expect(await other.ttl('wo')).toBeLessThanOrEqual(Date.now() + 3_000);
    await expect(cache.wrap('wr', async () => 1, { raw: true } as never)).rejects.toThrow(/option 'raw' is not supported/);
  });
});
