import { Redis } from 'ioredis';
import { startCacheApp, type CacheApp } from './support/cache-app.factory.js';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.js';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

async function commandsProcessed(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1]);
}

describe('tag invalidation', () => {
  const apps: CacheApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  describe('cost', () => {
    let server: RedisServerHandle;
    let probe: Redis;
    beforeAll(async () => {
      server = await startRedisServer();
      probe = new Redis(server.url);
    });
    afterAll(async () => {
      probe.disconnect();
      await server.stop();
    });

    /** Waits until Redis is idle (only our INFO between two reads), so earlier work is not counted. */
    async function quietCommandCount(): Promise<number> {
      let previous = await commandsProcessed(probe);
      for (;;) {
        await sleep(100);
        const current = await commandsProcessed(probe);
        if (current === previous + 1) return current;
        previous = current;
      }
    }

    async function measureInvalidation(app: CacheApp, tag: string): Promise<number> {
      const before = await quietCommandCount();
      await app.cache.invalidateTags(tag);
      await sleep(100);
      const after = await commandsProcessed(probe);
      // INFO itself is one command.
      return after - before - 1;
    }

    it('issues the same number of Redis commands for 1 or 100,000 tagged entries, and every instance misses', async () => {
      const namespace = uniqueNamespace();
      const writer = await startCacheApp({ namespace, l1: false, l2: { redis: server.url } });
      const reader = await startCacheApp({ namespace, l2: { redis: server.url } });
      apps.push(writer, reader);
      await writer.cache.set('single', 1, { tags: ['one'] });
      for (let start = 0; start < 100_000; start += 10_000) {
        const items = Array.from({ length: 10_000 }, (_, offset) => ({ key: `bulk:${start + offset}`, value: start + offset, tags: ['bulk'] }));
        await writer.cache.setMany(items);
      }
      expect(await reader.cache.get('bulk:99999')).toBe(99_999);
      expect(await probe.dbsize()).toBeGreaterThan(100_000);

      await writer.cache.invalidateTags('warm-up-loads-the-script');
      const forOne = await measureInvalidation(writer, 'one');
      const forMany = await measureInvalidation(writer, 'bulk');

      expect(forMany).toBe(forOne);
      // EVALSHA, then EXISTS and INCR inside the script, then PUBLISH to the other instances.
      expect(forMany).toBeLessThanOrEqual(4);
      const sample = await reader.cache.getMany(['bulk:0', 'bulk:50000', 'bulk:99999']);
      expect(sample).toEqual([undefined, undefined, undefined]);
      expect(await reader.cache.get('single')).toBeUndefined();
      // NOTE: writing 100,000 entries takes 15-30 s on a busy 2-core machine; the assertion is on command counts.
    }, 120_000);
  });

  it('gives tag version keys a TTL at least as long as the entries that recorded them', async () => {
    const namespace = uniqueNamespace();
    const app = await startCacheApp({ namespace, l2: { redis: redisUrl() } });
    apps.push(app);
    const redis = new Redis(redisUrl());
    try {
      await app.cache.set('short', 1, { ttl: '1m', tags: ['shared'] });
      await app.cache.set('long', 2, { ttl: '1h', grace: '1h', tags: ['shared'] });
      await app.cache.set('shorter-again', 3, { ttl: '1s', tags: ['shared'] });
      const tagTtl = await redis.pttl(`${namespace}:tag:shared`);
      expect(tagTtl).toBeGreaterThan(2 * 3_600_000 - 10_000);
      await app.cache.invalidateTags('shared');
      expect(await redis.pttl(`${namespace}:tag:shared`)).toBeGreaterThan(0);
      await app.cache.invalidateTags('never-used');
      expect(await redis.pttl(`${namespace}:tag:never-used`)).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  });

  it('drops the result of a slow load when delete or invalidateTags lands while it runs', async () => {
    const namespace = uniqueNamespace();
    const loaderInstance = await startCacheApp({ namespace, l2: { redis: redisUrl() } });
    const other = await startCacheApp({ namespace, l2: { redis: redisUrl() } });
    apps.push(loaderInstance, other);
    const slowStaleLoad = (): Promise<string> => sleep(300).then(() => 'stale');

    const byDelete = loaderInstance.cache.getOrSet('deleted', slowStaleLoad);
    const byTag = loaderInstance.cache.getOrSet('tagged', slowStaleLoad, { tags: ['catalogue'] });
    await sleep(100);
    await other.cache.delete('deleted');
    await other.cache.invalidateTags('catalogue');
    await Promise.all([byDelete, byTag]);

    const fresh = await startCacheApp({ namespace, l2: { redis: redisUrl() } });
    apps.push(fresh);
    for (const app of [loaderInstance, other, fresh]) {
      expect(await app.cache.get('deleted')).toBeUndefined();
      expect(await app.cache.get('tagged')).toBeUndefined();
    }
  });

  it('drops the result of a slow load when the same instance deletes meanwhile (L1 only)', async () => {
    const app = await startCacheApp({ namespace: uniqueNamespace(), l2: false });
    apps.push(app);
    const load = app.cache.getOrSet('k', () => sleep(150).then(() => 'stale'), { tags: ['t'] });
    await sleep(50);
    await app.cache.delete('k');
    await load;
    expect(await app.cache.get('k')).toBeUndefined();

    const tagged = app.cache.getOrSet('k2', () => sleep(150).then(() => 'stale'), { tags: ['t'] });
    await sleep(50);
    await app.cache.invalidateTags('t');
    await tagged;
    expect(await app.cache.get('k2')).toBeUndefined();
  });
});
