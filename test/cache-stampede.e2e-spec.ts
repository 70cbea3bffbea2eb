import { Redis } from 'ioredis';
import { startCacheApp, type CacheApp } from './support/cache-app.factory.js';
import { startRedisServer } from './support/redis-server.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

function slowLoader<T>(value: T, milliseconds: number, calls: { count: number }): () => Promise<T> {
  return async () => {
    calls.count += 1;
    await new Promise((resolve) => setTimeout(resolve, milliseconds));
    return value;
  };
}

describe('stampede protection', () => {
  const apps: CacheApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('runs the loader once for 500 concurrent misses in one process', async () => {
    const app = await startCacheApp({ namespace: uniqueNamespace(), l2: { redis: redisUrl() } });
    apps.push(app);
    const calls = { count: 0 };
    const loader = slowLoader({ id: 1 }, 50, calls);

    const results = await Promise.all(Array.from({ length: 500 }, () => app.cache.getOrSet('cold', loader)));

    expect(calls.count).toBe(1);
    expect(results.every((result) => result.id === 1)).toBe(true);
    expect(app.cache.stats.coalesced).toBe(499);
  });

  it('runs the loader once in total when two instances race on one cold key', async () => {
    const namespace = uniqueNamespace();
    // NOTE: a generous commandTimeout: a lock request timing out on a busy machine would (rightly) load twice.
    const first = await startCacheApp({ namespace, l2: { redis: redisUrl(), commandTimeout: '5s' } });
    const second = await startCacheApp({ namespace, l2: { redis: redisUrl(), commandTimeout: '5s' } });
    apps.push(first, second);
    const calls = { count: 0 };
    const loader = slowLoader('loaded', 200, calls);

    const results = await Promise.all([
      ...Array.from({ length: 50 }, () => first.cache.getOrSet('race', loader)),
      ...Array.from({ length: 50 }, () => second.cache.getOrSet('race', loader)),
    ]);

    expect(calls.count).toBe(1);
    expect(new Set(results)).toEqual(new Set(['loaded']));
  });

  it.each([
    ['runs the loader once', false, 'the other'],
    ['loads again (its tag invalidated since)', true, 'the reader'],
  ])('%s when another instance loads the key between this one\'s read and its lock request', async (_title, invalidated, loadedBy) => {
    const namespace = uniqueNamespace();
    const proxy = await startTcpProxy(Number(new URL(redisUrl()).port));
    try {
      const reader = await startCacheApp({ namespace, l2: { redis: proxy.url, commandTimeout: '5s' } });
      const other = await startCacheApp({ namespace, l2: { redis: redisUrl(), commandTimeout: '5s' } });
      apps.push(reader, other);
      const loads: string[] = [];
      const loader = (instance: string) => async (): Promise<string> => {
        loads.push(instance);
        return `loaded by ${instance}`;
      };
      // NOTE: the reader's GETs run in Redis (a miss) but their replies are held: the window before its lock request.
      proxy.holdReplies();
      const reading = reader.cache.getOrSet('k', loader('the reader'), { tags: ['t'] });
      await waitFor(() => proxy.held > 0);
      expect(await other.cache.getOrSet('k', loader('the other'), { tags: ['t'] })).toBe('loaded by the other');
      if (invalidated) await other.cache.invalidateTags('t');
      proxy.heal();

      expect(await reading).toBe(`loaded by ${loadedBy}`);
      expect(loads).toEqual(invalidated ? ['the other', 'the reader'] : ['the other']);
      expect(reader.cache.stats.hits.l2).toBe(invalidated ? 0 : 1);
    } finally {
      await proxy.close();
    }
  });

  it('spends three round trips on a cold miss: the read, the lock request (which reads back), the write', async () => {
    const server = await startRedisServer();
    const direct = new Redis(server.url);
    try {
      const app = await startCacheApp({ namespace: uniqueNamespace(), l2: { redis: server.url } });
      apps.push(app);
      await direct.config('RESETSTAT');

      expect(await app.cache.getOrSet('cold', async () => 'loaded')).toBe('loaded');

      const stats = await direct.info('commandstats');
      const calls = (command: string): number => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      // NOTE: commands run by a script count too: the lock script's read-back and the write script's lock check
      // are GETs; the read itself may go out as an MGET (reads of one tick are batched).
      expect(calls('evalsha') + calls('eval')).toBe(2);
      expect(calls('get') + calls('mget')).toBe(3);
    } finally {
      await Promise.all(apps.splice(0).map((app) => app.close()));
      direct.disconnect();
      await server.stop();
    }
  });

  it('polls for another instance\'s load with one round trip per poll: the lock request, which reads the result back', async () => {
    const server = await startRedisServer();
    const direct = new Redis(server.url);
    try {
      const options = { namespace: uniqueNamespace(), l2: { redis: server.url } };
      const holder = await startCacheApp(options);
      const waiter = await startCacheApp(options);
      apps.push(holder, waiter);
      await direct.config('RESETSTAT');
      const calls = { count: 0 };
      const holding = holder.cache.getOrSet('slow', slowLoader('loaded', 600, calls));
      await waitFor(async () => (await direct.exists(`${options.namespace}:lock:{slow}`)) === 1);

      expect(await waiter.cache.getOrSet('slow', async () => 'waiter loaded')).toBe('loaded');
      await holding;

      const stats = await direct.info('commandstats');
      const count = (command: string): number => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      expect(calls.count).toBe(1);
      expect(waiter.cache.stats.hits.l2).toBe(1);
      // NOTE: plain reads go out as MGET: the two first reads; the lock requests (polls included) and the write are scripts.
      expect(count('mget')).toBe(2);
      expect(count('evalsha')).toBeGreaterThanOrEqual(4);
    } finally {
      await Promise.all(apps.splice(0).map((app) => app.close()));
      direct.disconnect();
      await server.stop();
    }
  });

  it('lets a waiter load itself when the lock holder never finishes (bounded wait)', async () => {
    const namespace = uniqueNamespace();
    const options = { namespace, l2: { redis: redisUrl(), lockWait: '300ms' as const } };
    const holder = await startCacheApp(options);
    const waiter = await startCacheApp(options);
    apps.push(holder, waiter);
    const never = new Promise<string>(() => undefined);
    holder.cache.getOrSet('stuck', () => never, { hardTimeout: '5s' }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));

    const started = Date.now();
    const value = await waiter.cache.getOrSet('stuck', async () => 'own');

    expect(value).toBe('own');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('never caches an error', async () => {
    const app = await startCacheApp({ namespace: uniqueNamespace(), l2: { redis: redisUrl() } });
    apps.push(app);
    await expect(app.cache.getOrSet('flaky', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await app.cache.getOrSet('flaky', async () => 'ok')).toBe('ok');
  });

  it('bypasses and rewrites the cache inside refreshing(fn)', async () => {
    const namespace = uniqueNamespace();
    const app = await startCacheApp({ namespace, l2: { redis: redisUrl() } });
    const other = await startCacheApp({ namespace, l2: { redis: redisUrl() } });
    apps.push(app, other);
    let version = 1;
    const loader = async (): Promise<number> => version;
    await app.cache.getOrSet('warm', loader);
    expect(await other.cache.getOrSet('warm', loader)).toBe(1);
    version = 2;
    expect(await app.cache.getOrSet('warm', loader)).toBe(1);

    expect(await app.cache.refreshing(() => app.cache.getOrSet('warm', loader))).toBe(2);

    expect(await app.cache.getOrSet('warm', async () => 3)).toBe(2);
    await waitFor(async () => (await other.cache.get('warm')) === 2, { timeout: 2_000 });
  });

  it('lets the loader change ttl and tags or skip caching', async () => {
    const app = await startCacheApp({ namespace: uniqueNamespace(), l2: { redis: redisUrl() } });
    apps.push(app);
    await app.cache.getOrSet('skipped', async (context) => {
      context.skipCache();
      return 1;
    });
    expect(await app.cache.has('skipped')).toBe(false);

    await app.cache.getOrSet('tagged', async (context) => {
      context.setTags(['late-tag']);
      context.setTtl('1h');
      return 2;
    });
    expect(await app.cache.get('tagged')).toBe(2);
    await app.cache.invalidateTags('late-tag');
    expect(await app.cache.get('tagged')).toBeUndefined();
  });
});
