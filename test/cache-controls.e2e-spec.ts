import { Redis } from 'ioredis';
import { InvalidCacheOptionError, L1_STORE, type CacheStore } from 'nestjs-tiered-cache';
import { startCacheApp, type CacheApp } from './support/cache-app.factory.js';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe('per-call controls', () => {
  const apps: CacheApp[] = [];
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisUrl());
  });
  afterAll(() => redis.disconnect());
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  async function start(namespace: string, extra: Record<string, unknown> = {}): Promise<CacheApp> {
    const app = await startCacheApp({ namespace, l2: { redis: redisUrl() }, ...extra });
    apps.push(app);
    return app;
  }

  async function pttls(namespace: string): Promise<number[]> {
    const keys = await redis.keys(`${namespace}:v2:*`);
    return Promise.all(keys.map((key) => redis.pttl(key)));
  }

  it('get(key, { default }) answers the default on a miss, without caching it', async () => {
    const namespace = uniqueNamespace('ctl');
    const [app, l2Only] = [await start(namespace), await start(namespace, { l1: false })];
    expect(await app.cache.get('absent', { default: 'fallback' })).toBe('fallback');
    expect(await l2Only.cache.get('absent', { default: 0 })).toBe(0);
    expect(await app.cache.get('absent')).toBeUndefined();
    await app.cache.set('present', 'cached');
    expect(await app.cache.get('present', { default: 'fallback' })).toBe('cached');
    expect(await l2Only.cache.get('present', { default: 'fallback' })).toBe('cached');
  });

  it('ttl(key) is the remaining freshness from L1 or L2, undefined once stale or absent', async () => {
    const namespace = uniqueNamespace('ctl');
    const [app, l2Only] = [await start(namespace), await start(namespace, { l1: false })];
    await app.cache.set('k', 'v', { ttl: '10s', grace: '1h' });
    for (const cache of [app.cache, l2Only.cache]) {
      const left = await cache.ttl('k');
      expect(left).toBeGreaterThan(8_000);
      expect(left).toBeLessThanOrEqual(10_000);
    }
    expect(await app.cache.ttl('absent')).toBeUndefined();
    await app.cache.set('short', 'v', { ttl: 100, grace: '1h' });
    await sleep(200);
    expect(await app.cache.ttl('short')).toBeUndefined();
    expect(await l2Only.cache.ttl('short')).toBeUndefined();
  });

  it('set(key, value, { l1: false }) writes Redis only and drops the L1 copy it replaces', async () => {
    const namespace = uniqueNamespace('ctl');
    const [app, other] = [await start(namespace), await start(namespace)];
    const l1 = app.app.get<CacheStore>(L1_STORE);
    await app.cache.set('k', 'old');
    expect(await l1.get('k')).toMatchObject({ value: 'old' });

    await app.cache.set('k', 'new', { l1: false });
    expect(await l1.get('k')).toBeUndefined();
    expect(await app.cache.get('k')).toBe('new');
    expect(await other.cache.get('k')).toBe('new');
    await app.cache.set('fresh', 'v', { l1: false });
    expect(await l1.get('fresh')).toBeUndefined();
    await app.cache.setMany([{ key: 'k', value: 'newer', l1: false }, { key: 'kept', value: 'in L1' }]);
    expect(await l1.get('k')).toBeUndefined();
    expect(await l1.get('kept')).toMatchObject({ value: 'in L1' });
    await waitFor(async () => (await other.cache.get('k')) === 'newer');
    await expect(app.cache.set('k', 'v', { l1: true as never })).rejects.toThrow(/'l1'/);
  });

  it('getOrSet with l1: false neither reads nor writes L1', async () => {
    const namespace = uniqueNamespace('ctl');
    const [deaf, other] = [await start(namespace, { bus: false }), await start(namespace)];
    const l1 = deaf.app.get<CacheStore>(L1_STORE);
    await deaf.cache.set('k', 'old');
    await other.cache.set('k', 'new');
    expect(await deaf.cache.getOrSet('k', async () => 'loaded', { l1: false })).toBe('new');
    expect(await deaf.cache.get('k')).toBe('old');
    expect(await deaf.cache.getOrSet('cold', async () => 'loaded', { l1: false })).toBe('loaded');
    expect(await l1.get('cold')).toBeUndefined();
    expect(await other.cache.get('cold')).toBe('loaded');
  });

  it('getOrSet with forceFresh runs the loader over a fresh entry and rewrites it everywhere; its error reaches the caller', async () => {
    const namespace = uniqueNamespace('ctl');
    const [app, other] = [await start(namespace), await start(namespace)];
    await app.cache.set('k', 'cached', { ttl: '1h', grace: '1h' });
    expect(await other.cache.get('k')).toBe('cached');
    let calls = 0;
    const loader = async (): Promise<string> => `loaded ${++calls}`;
    expect(await app.cache.getOrSet('k', loader, { forceFresh: true })).toBe('loaded 1');
    expect(await app.cache.getOrSet('k', loader, { forceFresh: true })).toBe('loaded 2');
    expect(await app.cache.get('k')).toBe('loaded 2');
    await waitFor(async () => (await other.cache.get('k')) === 'loaded 2');
    await expect(app.cache.getOrSet('k', () => Promise.reject(new Error('down')), { forceFresh: true, grace: '1h' })).rejects.toThrow('down');
    expect(await app.cache.getOrSet('k', loader)).toBe('loaded 2');
    await expect(app.cache.getOrSet('k', loader, { forceFresh: 'yes' as never })).rejects.toThrow(/'forceFresh'/);
  });

  it('jitter spreads the ttls of keys written together, within ±jitter (module option and per call)', async () => {
    const namespace = uniqueNamespace('ctl');
    const app = await start(namespace, { jitter: 0.2 });
    const ttl = 20_000;
    await app.cache.setMany(Array.from({ length: 100 }, (_, index) => ({ key: `bulk:${index}`, value: index, ttl })));
    for (let index = 0; index < 50; index += 1) await app.cache.getOrSet(`loaded:${index}`, async () => index, { ttl });
    const spread = await pttls(namespace);
    expect(spread).toHaveLength(150);
    expect(Math.min(...spread)).toBeGreaterThanOrEqual(ttl * 0.8 - 2_000);
    expect(Math.max(...spread)).toBeLessThanOrEqual(ttl * 1.2);
    expect(Math.max(...spread) - Math.min(...spread)).toBeGreaterThan(ttl * 0.2);

    const perCall = await start(uniqueNamespace('ctl'));
    await perCall.cache.set('plain', 1, { ttl });
    expect(await perCall.cache.ttl('plain')).toBeGreaterThan(ttl - 2_000);
    for (let index = 0; index < 50; index += 1) await perCall.cache.getOrSet(`j:${index}`, async () => index, { ttl, jitter: 0.5 });
    const lefts = await Promise.all(Array.from({ length: 50 }, (_, index) => perCall.cache.ttl(`j:${index}`)));
    expect(Math.max(...(lefts as number[])) - Math.min(...(lefts as number[]))).toBeGreaterThan(ttl * 0.3);
    expect(Math.max(...(lefts as number[]))).toBeLessThanOrEqual(ttl * 1.5);

    await expect(perCall.cache.set('k', 'v', { jitter: 1 })).rejects.toThrow(InvalidCacheOptionError);
    await expect(perCall.cache.getOrSet('k', () => 'v', { jitter: -0.1 })).rejects.toThrow(/'jitter'/);
  });
});
