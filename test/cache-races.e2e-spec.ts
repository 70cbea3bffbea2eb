import { Redis } from 'ioredis';
import { CacheSerializationError } from 'nestjs-tiered-cache';
import { startCacheApp, type CacheApp } from './support/cache-app.factory.js';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** The races of the controllable-store tests (test/races), end to end on a real Redis. */
describe('races on a real Redis', () => {
  const apps: CacheApp[] = [];
  let probe: Redis;
  beforeAll(() => {
    probe = new Redis(redisUrl());
  });
  afterAll(() => probe.disconnect());
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  async function twoInstances(): Promise<[CacheApp, CacheApp, string]> {
    const namespace = uniqueNamespace();
    const first = await startCacheApp({ namespace, l2: { redis: redisUrl() } });
    const second = await startCacheApp({ namespace, l2: { redis: redisUrl() } });
    apps.push(first, second);
    return [first, second, namespace];
  }

  it('two concurrent sets of one key leave the same, last value in L1 and in Redis', async () => {
    const [writer, reader] = await twoInstances();
    for (let round = 0; round < 20; round += 1) {
      await Promise.all([writer.cache.set(`k${round}`, 'A'), writer.cache.set(`k${round}`, 'B')]);
      expect(await writer.cache.get(`k${round}`)).toBe('B');
      expect(await reader.cache.get(`k${round}`)).toBe('B');
    }
  });

  it('a warmer (refreshing) load does not put back a value deleted while it ran', async () => {
    const [warmer, other, namespace] = await twoInstances();
    await warmer.cache.set('product:1', 'old');
    const refreshing = warmer.cache.refreshing(() =>
      warmer.cache.getOrSet('product:1', async () => {
        await sleep(200);
        return 'read before the delete';
      }),
    );
    await sleep(50);
    await other.cache.delete('product:1');
    await refreshing;
    const fresh = await startCacheApp({ namespace, l2: { redis: redisUrl() } });
    apps.push(fresh);
    expect(await fresh.cache.get('product:1')).toBeUndefined();
  });

  it('clear() during a slow load leaves nothing of that load behind', async () => {
    const [loader, clearer, namespace] = await twoInstances();
    const loading = loader.cache.getOrSet('product:2', async () => {
      await sleep(300);
      return 'read before the clear';
    });
    await sleep(50);
    await clearer.cache.clear();
    await loading;
    const fresh = await startCacheApp({ namespace, l2: { redis: redisUrl() } });
    apps.push(fresh);
    expect(await fresh.cache.get('product:2')).toBeUndefined();
  });

  it('a value that cannot be serialized leaves no load lock in Redis', async () => {
    const [app, , namespace] = await twoInstances();
    await expect(app.cache.getOrSet('fn', () => ({ run: () => 1 }))).rejects.toBeInstanceOf(CacheSerializationError);
    await sleep(50);
    expect(await probe.keys(`${namespace}:lock:*`)).toEqual([]);
  });

  it('an evicted tag version never validates an entry written before an invalidation', async () => {
    const [writer, reader, namespace] = await twoInstances();
    await writer.cache.set('product:3', 'price 1', { tags: ['product:3'] });
    await writer.cache.invalidateTags('product:3');
    await probe.del(`${namespace}:tag:product:3`);
    expect(await reader.cache.get('product:3')).toBeUndefined();
    await writer.cache.set('other', 'x', { tags: ['product:3'] });
    expect(await reader.cache.get('product:3')).toBeUndefined();
  });
});
