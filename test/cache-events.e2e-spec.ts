import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheMetricsModule, CacheModule, CacheService, type CacheEventMap, type CacheEventName } from 'nestjs-tiered-cache';
import { register } from 'prom-client';
import { startCacheApp, type CacheApp } from './support/cache-app.factory.js';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

/** Records every payload of `events` on `cache`. */
function record<E extends CacheEventName>(cache: CacheService, ...events: E[]): [E, CacheEventMap[E]][] {
  const seen: [E, CacheEventMap[E]][] = [];
  for (const event of events) cache.events.on(event, (payload) => void seen.push([event, payload]));
  return seen;
}

function sample(text: string, metric: string, labels: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${metric}{`) && candidate.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('cache events', () => {
  const apps: CacheApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  async function start(namespace: string): Promise<CacheApp> {
    const app = await startCacheApp({ namespace, l2: { redis: redisUrl() } });
    apps.push(app);
    return app;
  }

  it('reports hits and misses per layer, loads and stale values served', async () => {
    const namespace = uniqueNamespace('ev');
    const [a, b] = [await start(namespace), await start(namespace)];
    const seenA = record(a.cache, 'hit', 'miss', 'loaded', 'stale');
    const seenB = record(b.cache, 'hit', 'miss');
    const entry = { ttl: 150, grace: '1h' } as const;

    await a.cache.getOrSet('k', async () => 'v1', entry);
    await a.cache.getOrSet('k', async () => 'unused', entry);
    await b.cache.get('k');
    await b.cache.getMany(['k', 'absent']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await a.cache.getOrSet('k', () => Promise.reject(new Error('down')), entry)).toBe('v1');

    expect(seenA).toEqual([
      ['miss', { key: 'k', layer: 'l1' }],
      ['miss', { key: 'k', layer: 'l2' }],
      ['loaded', { key: 'k', duration: expect.any(Number) }],
      ['hit', { key: 'k', layer: 'l1' }],
      ['miss', { key: 'k', layer: 'l1' }],
      ['miss', { key: 'k', layer: 'l2' }],
      ['stale', { key: 'k', reason: 'the loader failed: down' }],
    ]);
    expect(seenB).toEqual([
      ['miss', { key: 'k', layer: 'l1' }],
      ['hit', { key: 'k', layer: 'l2' }],
      ['hit', { key: 'k', layer: 'l1' }],
      ['miss', { key: 'absent', layer: 'l1' }],
      ['miss', { key: 'absent', layer: 'l2' }],
    ]);
  });

  it('reports invalidations here and from other instances, and the bus messages that brought them', async () => {
    const namespace = uniqueNamespace('ev');
    const [a, b] = [await start(namespace), await start(namespace)];
    const local = record(a.cache, 'invalidated');
    const remote = record(b.cache, 'invalidated', 'bus-message');

    await a.cache.delete('k1', 'k2');
    await a.cache.invalidateTags('t', { soft: true });
    await a.cache.clear();

    expect(local).toEqual([
      ['invalidated', { keys: ['k1', 'k2'], tags: [], clear: false, soft: false, remote: false }],
      ['invalidated', { keys: [], tags: ['t'], clear: false, soft: true, remote: false }],
      ['invalidated', { keys: [], tags: [], clear: true, soft: false, remote: false }],
    ]);
    await waitFor(() => remote.length === 6);
    const sender = (remote.find(([event]) => event === 'bus-message')![1] as CacheEventMap['bus-message']).sender;
    expect(remote).toEqual([
      ['bus-message', { sender, version: 1 }],
      ['invalidated', { keys: ['k1', 'k2'], tags: [], clear: false, soft: false, remote: true }],
      ['bus-message', { sender, version: 2 }],
      ['invalidated', { keys: [], tags: ['t'], clear: false, soft: true, remote: true }],
      ['bus-message', { sender, version: 1 }],
      ['invalidated', { keys: [], tags: [], clear: true, soft: false, remote: true }],
    ]);
  });

  it('keeps working when a listener throws or rejects, logging it; off() and once() behave', async () => {
    const app = await start(uniqueNamespace('ev'));
    const warnings: string[] = [];
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
    try {
      app.cache.events.on('invalidated', () => {
        throw new Error('listener bug');
      });
      app.cache.events.on('invalidated', () => Promise.reject(new Error('async listener bug')));
      const calls: string[] = [];
      const counted = (): void => void calls.push('on');
      app.cache.events.on('invalidated', counted).once('invalidated', () => void calls.push('once'));

      await app.cache.set('k', 'v');
      await expect(app.cache.delete('k')).resolves.toBeUndefined();
      app.cache.events.off('invalidated', counted);
      await expect(app.cache.invalidateTags('t')).resolves.toBeUndefined();

      expect(await app.cache.get('k')).toBeUndefined();
      expect(calls).toEqual(['on', 'once']);
      await waitFor(() => warnings.some((line) => line.includes("'invalidated' cache event listener failed: listener bug")));
    } finally {
      warn.mockRestore();
    }
  });

  describe('circuit breaker', () => {
    let server: RedisServerHandle;
    let proxy: TcpProxy;
    beforeAll(async () => {
      server = await startRedisServer();
      proxy = await startTcpProxy(server.port);
    });
    afterAll(async () => {
      await proxy.close();
      await server.stop();
    });

    it('reports opening and closing as events and as the cache_l2_breaker_open gauge', async () => {
      const namespace = uniqueNamespace('ev');
      const moduleRef = await Test.createTestingModule({
        imports: [
          CacheModule.forRoot({ namespace, l2: { redis: proxy.url, commandTimeout: 200, breakerThreshold: 3, breakerCooldown: 300 } }),
          CacheMetricsModule,
        ],
      }).compile();
      const app = await moduleRef.init();
      try {
        const cache = app.get(CacheService);
        const seen = record(cache, 'breaker-open', 'breaker-closed');
        const gauge = async (): Promise<number | undefined> => sample(await register.metrics(), 'cache_l2_breaker_open', `namespace="${namespace}"`);
        expect(await gauge()).toBe(0);

        proxy.cut();
        for (let attempt = 0; attempt < 5; attempt += 1) await cache.getOrSet(`miss:${attempt}`, async () => attempt);
        expect(seen).toEqual([['breaker-open', { layer: 'l2' }]]);
        expect(await gauge()).toBe(1);

        proxy.restore();
        await waitFor(
          async () => {
            await cache.get('probe');
            return seen.length === 2;
          },
          { timeout: 10_000, interval: 100 },
        );
        expect(seen[1]).toEqual(['breaker-closed', { layer: 'l2', skippedCalls: expect.any(Number) }]);
        expect(await gauge()).toBe(0);
      } finally {
        await app.close();
      }
    });
  });
});
