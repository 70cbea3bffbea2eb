import { L2_STORE, type CacheStore } from 'nestjs-tiered-cache';
import { Redis } from 'ioredis';
import { startCacheApp, type CacheApp } from './support/cache-app.factory.js';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { uniqueNamespace, waitFor } from './support/test-redis.js';

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

interface BreakerView extends CacheStore {
  isUnavailable: boolean;
}

describe('Redis trouble is not the caller’s trouble', () => {
  let server: RedisServerHandle;
  let proxy: TcpProxy;
  let direct: Redis;
  let namespace: string;
  const apps: CacheApp[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    direct = new Redis(server.url);
  });
  afterAll(async () => {
    direct.disconnect();
    await server.stop();
  });
  beforeEach(async () => {
    namespace = uniqueNamespace();
    proxy = await startTcpProxy(server.port);
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await proxy.close();
  });

  async function startThroughProxy(): Promise<CacheApp> {
    const app = await startCacheApp({
      namespace,
      l2: { redis: proxy.url, commandTimeout: 200, breakerThreshold: 3, breakerCooldown: 300 },
    });
    apps.push(app);
    return app;
  }

  it('answers from the loader when Redis is unreachable from the start', async () => {
    proxy.cut();
    const app = await startThroughProxy();
    expect(await app.cache.get('any')).toBeUndefined();
    expect(await app.cache.getOrSet('any', async () => 'from loader')).toBe('from loader');
    expect(await app.cache.get('any')).toBe('from loader');
  });

  it('answers within the command timeout when Redis is slow', async () => {
    const app = await startThroughProxy();
    await direct.call('CLIENT', 'PAUSE', 1_500, 'ALL');
    const started = Date.now();
    expect(await app.cache.getOrSet('slow', async () => 'loaded')).toBe('loaded');
    expect(Date.now() - started).toBeLessThan(1_400);
    await sleep(1_600);
  });

  it('keeps serving L1 when the connection drops mid-run, opens the breaker, and closes it when Redis is back', async () => {
    const app = await startThroughProxy();
    const l2 = app.app.get<BreakerView>(L2_STORE);
    await app.cache.set('kept', { id: 1 });
    proxy.cut();

    expect(await app.cache.get('kept')).toEqual({ id: 1 });
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect(await app.cache.getOrSet(`miss:${attempt}`, async () => attempt)).toBe(attempt);
    }
    expect(l2.isUnavailable).toBe(true);

    proxy.restore();
    await waitFor(
      async () => {
        await app.cache.get('probe');
        return !l2.isUnavailable;
      },
      { timeout: 10_000, interval: 100 },
    );
    await app.cache.set('after', 2);
    expect(await direct.exists(`${namespace}:v2:{after}`)).toBe(1);
  });

  it('never drops a delete, tag invalidation or clear made while Redis is cut off', async () => {
    const app = await startThroughProxy();
    await app.cache.set('deleted', 'old');
    await app.cache.set('tagged', 'old', { tags: ['group'] });
    await app.cache.set('cleared', 'old');
    proxy.cut();

    await expect(app.cache.delete('deleted')).resolves.toBeUndefined();
    await expect(app.cache.invalidateTags('group')).resolves.toBeUndefined();
    expect(await app.cache.get('deleted')).toBeUndefined();
    expect(await app.cache.get('tagged')).toBeUndefined();
    expect(app.cache.hasPendingInvalidations).toBe(true);

    proxy.restore();
    await waitFor(() => !app.cache.hasPendingInvalidations, { timeout: 10_000, interval: 50 });
    const fresh = await startCacheApp({ namespace, l2: { redis: server.url } });
    apps.push(fresh);
    expect(await fresh.cache.get('deleted')).toBeUndefined();
    expect(await fresh.cache.get('tagged')).toBeUndefined();
    expect(await fresh.cache.get('cleared')).toBe('old');

    proxy.cut();
    await expect(app.cache.clear()).resolves.toBeUndefined();
    proxy.restore();
    await waitFor(() => !app.cache.hasPendingInvalidations, { timeout: 10_000, interval: 50 });
    expect(await direct.keys(`${namespace}:v2:*`)).toEqual([]);
  });
});
