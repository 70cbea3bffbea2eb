import { Redis } from 'ioredis';
import { CacheLoadTimeoutError } from 'nestjs-tiered-cache';
import { startCacheApp, type CacheApp } from './support/cache-app.factory.js';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));
const ids = (count: number): string[] => Array.from({ length: count }, (_, index) => `product:${index}`);
const productOf = (key: string): { key: string } => ({ key });

/** A batch loader recording the keys of each call, answering after `delay` ms. */
function recordingLoader(delay = 0): { calls: string[][]; load: (keys: string[]) => Promise<Map<string, { key: string }>> } {
  const calls: string[][] = [];
  return {
    calls,
    load: async (keys) => {
      calls.push(keys);
      await sleep(delay);
      return new Map(keys.map((key) => [key, productOf(key)]));
    },
  };
}

describe('getManyOrSet: batch read-through', () => {
  const apps: CacheApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  async function start(namespace = uniqueNamespace(), redis = redisUrl()): Promise<CacheApp> {
    // NOTE: a generous commandTimeout: a lock request timing out on a busy machine would (rightly) load twice.
    const app = await startCacheApp({ namespace, l2: { redis, commandTimeout: '5s' } });
    apps.push(app);
    return app;
  }

  it('loads exactly the 10 missing of 100 keys once across two instances racing', async () => {
    const namespace = uniqueNamespace();
    const first = await start(namespace);
    const second = await start(namespace);
    const keys = ids(100);
    const missing = keys.filter((_, index) => index % 10 === 3);
    await first.cache.setMany(keys.filter((key) => !missing.includes(key)).map((key) => ({ key, value: productOf(key) })));
    const loader = recordingLoader(200);

    const [fromFirst, fromSecond] = await Promise.all([first.cache.getManyOrSet(keys, loader.load), second.cache.getManyOrSet(keys, loader.load)]);

    expect(loader.calls).toEqual([missing]);
    expect(fromFirst).toEqual(keys.map(productOf));
    expect(fromSecond).toEqual(keys.map(productOf));
    const third = await start(namespace);
    expect(await third.cache.getMany(missing)).toEqual(missing.map(productOf));
  });

  it('returns values in key order with duplicates, from a Map or an array, leaving unreturned keys undefined and uncached', async () => {
    const app = await start();
    await app.cache.set('b', 'cached b');
    const calls: string[][] = [];

    const values = await app.cache.getManyOrSet(['c', 'b', 'a', 'c', 'missing'], async (keys) => {
      calls.push(keys);
      return keys.map((key) => (key === 'missing' ? undefined : `loaded ${key}`));
    });

    expect(calls).toEqual([['c', 'a', 'missing']]);
    expect(values).toEqual(['loaded c', 'cached b', 'loaded a', 'loaded c', undefined]);
    expect(await app.cache.has('missing')).toBe(false);
    const fromMap = await app.cache.getManyOrSet(['a', 'missing', 'd'], async (keys) => new Map(keys.filter((key) => key !== 'missing').map((key) => [key, `map ${key}`])));
    expect(fromMap).toEqual(['loaded a', undefined, 'map d']);
  });

  it('rejects a loader result that is neither a Map nor an array with one item per key, caching nothing', async () => {
    const app = await start();
    await expect(app.cache.getManyOrSet(['x', 'y'], async () => ['only one'])).rejects.toThrow(/one item per key \(2\), got an array of 1/);
    expect(await app.cache.getManyOrSet(['x', 'y'], async (keys) => keys)).toEqual(['x', 'y']);
  });

  it('checks its options, naming the option', async () => {
    const app = await start();
    await expect(app.cache.getManyOrSet(['x'], async (keys) => keys, { maxBatchSize: 0 })).rejects.toThrow(/'maxBatchSize'.*whole number from 1/);
    await expect(app.cache.getManyOrSet(['x'], async (keys) => keys, { ttl: 'soon' as '1s' })).rejects.toThrow(/'ttl'/);
    await expect(app.cache.getManyOrSet(['x', ''], async (keys) => keys)).rejects.toThrow(TypeError);
  });

  it('splits the missing keys into loader calls of at most maxBatchSize', async () => {
    const app = await start();
    const loader = recordingLoader();

    await app.cache.getManyOrSet(ids(25), loader.load, { maxBatchSize: 10 });

    expect(loader.calls.map((keys) => keys.length)).toEqual([10, 10, 5]);
  });

  it('tags each entry by a function of its key, so invalidating one tag drops only its entries', async () => {
    const namespace = uniqueNamespace();
    const app = await start(namespace);
    const other = await start(namespace);
    const tags = (key: string): string[] => ['products', `group:${key.length % 2}`];
    await app.cache.getManyOrSet(['a', 'bb', 'c'], recordingLoader().load, { tags });

    await app.cache.invalidateTags('group:1');

    expect(await other.cache.getMany(['a', 'bb', 'c'])).toEqual([undefined, productOf('bb'), undefined]);
  });

  it('does not write a load that raced a delete of one of its keys', async () => {
    const namespace = uniqueNamespace();
    const app = await start(namespace);
    const other = await start(namespace);
    const loader = recordingLoader(300);
    const loading = app.cache.getManyOrSet(['kept', 'deleted'], loader.load);
    await waitFor(() => loader.calls.length === 1);

    await other.cache.delete('deleted');
    await loading;

    const reader = await start(namespace);
    expect(await reader.cache.getMany(['kept', 'deleted'])).toEqual([productOf('kept'), undefined]);
  });

  it('lets concurrent single-key reads in this process join the batch load', async () => {
    const app = await start();
    const loader = recordingLoader(200);
    const batch = app.cache.getManyOrSet(['a', 'b'], loader.load);
    let singleLoads = 0;

    const single = await app.cache.getOrSet('b', async () => {
      singleLoads += 1;
      return productOf('other');
    });

    expect(single).toEqual(productOf('b'));
    expect(singleLoads).toBe(0);
    expect(await batch).toEqual([productOf('a'), productOf('b')]);
  });

  it('serves the stale values within grace when the loader fails', async () => {
    const app = await start();
    await app.cache.getManyOrSet(['s1', 's2'], recordingLoader().load, { ttl: 50, grace: '1m' });
    await sleep(100);

    const values = await app.cache.getManyOrSet(['s1', 's2'], async () => Promise.reject(new Error('db down')), { ttl: 50, grace: '1m' });

    expect(values).toEqual([productOf('s1'), productOf('s2')]);
    await expect(app.cache.getManyOrSet(['s1', 'new'], async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
  });

  it('rejects with a CacheLoadTimeoutError after hardTimeout, and the next call loads again', async () => {
    const app = await start();
    const never = new Promise<string[]>(() => undefined);

    await expect(app.cache.getManyOrSet(['h1', 'h2'], () => never, { hardTimeout: 300 })).rejects.toThrow(CacheLoadTimeoutError);

    expect(await app.cache.getManyOrSet(['h1', 'h2'], async (keys) => keys)).toEqual(['h1', 'h2']);
  });

  it('bypasses and rewrites the cache inside refreshing(fn), telling other instances', async () => {
    const namespace = uniqueNamespace();
    const app = await start(namespace);
    const other = await start(namespace);
    let version = 1;
    const load = async (keys: string[]): Promise<string[]> => keys.map((key) => `${key}@${version}`);
    await app.cache.getManyOrSet(['r1', 'r2'], load);
    expect(await other.cache.getMany(['r1', 'r2'])).toEqual(['r1@1', 'r2@1']);
    version = 2;

    expect(await app.cache.refreshing(() => app.cache.getManyOrSet(['r1', 'r2'], load))).toEqual(['r1@2', 'r2@2']);

    await waitFor(async () => (await other.cache.get('r2')) === 'r2@2', { timeout: 2_000 });
    expect(await app.cache.getManyOrSet(['r1', 'r2'], load)).toEqual(['r1@2', 'r2@2']);
  });

  it('works with L1 only', async () => {
    const app = await startCacheApp({ namespace: uniqueNamespace(), l2: false });
    apps.push(app);
    const loader = recordingLoader();

    expect(await app.cache.getManyOrSet(['a', 'b'], loader.load)).toEqual([productOf('a'), productOf('b')]);
    expect(await app.cache.getManyOrSet(['b', 'c'], loader.load)).toEqual([productOf('b'), productOf('c')]);

    expect(loader.calls).toEqual([['a', 'b'], ['c']]);
  });

  describe('against a Redis of its own', () => {
    let server: RedisServerHandle;
    let direct: Redis;
    beforeAll(async () => {
      server = await startRedisServer();
      direct = new Redis(server.url);
    });
    afterAll(async () => {
      direct.disconnect();
      await server.stop();
    });

    it('takes one pipelined read of 100 GETs and two script calls (locks, write) for 100 keys with 90 cached', async () => {
      const app = await start(uniqueNamespace(), server.url);
      const keys = ids(100);
      await app.cache.setMany(keys.slice(10).map((key) => ({ key, value: productOf(key) })));
      const cold = await start(app.cache.namespace, server.url);
      await direct.config('RESETSTAT');

      await cold.cache.getManyOrSet(keys, recordingLoader().load);

      const stats = await direct.info('commandstats');
      const calls = (command: string): number => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      // NOTE: commands run by a script count too: the lock script checks that each of the 10 entries is still
      // missing; the write script checks and deletes each of the 10 locks.
      expect(calls('evalsha') + calls('eval')).toBe(2);
      expect(calls('get')).toBe(100 + 10 + 10);
      expect(calls('set')).toBe(10 + 10);
    });

    it('answers from the loader when Redis is unreachable', async () => {
      const proxy = await startTcpProxy(server.port);
      try {
        proxy.cut();
        const app = await startCacheApp({ namespace: uniqueNamespace(), l2: { redis: proxy.url, commandTimeout: 200 } });
        apps.push(app);
        const loader = recordingLoader();

        expect(await app.cache.getManyOrSet(['a', 'b'], loader.load)).toEqual([productOf('a'), productOf('b')]);
        expect(await app.cache.getManyOrSet(['a', 'b'], loader.load)).toEqual([productOf('a'), productOf('b')]);
        expect(loader.calls[0]).toEqual(['a', 'b']);
      } finally {
        await proxy.close();
      }
    });
  });
});
