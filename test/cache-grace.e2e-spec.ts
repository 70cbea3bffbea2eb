import type { LoaderContext } from 'nestjs-tiered-cache';
import { startCacheApp, type CacheApp } from './support/cache-app.factory.js';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe.each([
  ['L1 and L2', { l2: { redis: 'from-env' } }],
  ['L2 only', { l1: false as const, l2: { redis: 'from-env' } }],
  ['L1 only', { l2: false as const }],
])('grace (%s)', (_label, tiers) => {
  let app: CacheApp;
  beforeEach(async () => {
    const l2 = tiers.l2 === false ? false : { redis: redisUrl() };
    app = await startCacheApp({ namespace: uniqueNamespace(), ...tiers, l2 });
  });
  afterEach(() => app.close());

  it('serves the stale value when the loader fails after ttl, and the error after ttl + grace', async () => {
    const options = { ttl: 150, grace: 600 };
    await app.cache.getOrSet('item', async () => 'v1', options);
    await sleep(250);

    const stale = await app.cache.getOrSet('item', async () => Promise.reject(new Error('source down')), options);
    expect(stale).toBe('v1');
    expect(app.cache.stats.staleHits).toBe(1);

    await sleep(700);
    await expect(app.cache.getOrSet('item', async () => Promise.reject(new Error('source down')), options)).rejects.toThrow(
      'source down',
    );
  });

  it('serves the stale value when the loader outlives the timeout, and the late load still lands', async () => {
    const options = { ttl: 100, grace: 5_000, timeout: 50 };
    await app.cache.getOrSet('slow', async () => 'old', options);
    await sleep(150);

    const lateLoader = async (context: LoaderContext<string>): Promise<string> => {
      await sleep(300);
      context.setTtl('1h');
      return 'new';
    };
    const value = await app.cache.getOrSet('slow', lateLoader, options);
    expect(value).toBe('old');

    await sleep(450);
    expect(await app.cache.get('slow')).toBe('new');
  });

  it('accepts grace 0: past ttl the loader runs and its error reaches the caller', async () => {
    const options = { ttl: 80, grace: 0 };
    await app.cache.getOrSet('nograce', async () => 'v1', options);
    await sleep(150);
    await expect(app.cache.getOrSet('nograce', async () => Promise.reject(new Error('boom')), options)).rejects.toThrow('boom');
  });
});
