import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { CacheModule, CacheService, WriteBehind } from 'nestjs-tiered-cache';
import { CacheConnections } from '../libs/cache/src/stores/cache-connections.js';
import { startCacheApp } from './support/cache-app.factory.js';
import { startRedisServer } from './support/redis-server.js';
import { captureWarnings } from './support/captured-warnings.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

const EVENTS = ['error', 'ready', 'close', 'end', 'reconnecting', 'message', 'messageBuffer'] as const;

function listenerCounts(client: Redis): Record<string, number> {
  return Object.fromEntries(EVENTS.map((event) => [event, client.listenerCount(event)]));
}

@Injectable()
class OrdersWriter {
  constructor(private readonly cache: CacheService) {}

  /** Persists, then drops the cached order list (as a write-behind writer that keeps a list fresh would). */
  @WriteBehind({ key: 'order:{0}', delay: '1m' })
  async save(id: string): Promise<void> {
    await this.cache.delete(`orders-of:${id}`);
  }
}

describe('cache shutdown', () => {
  let proxy: TcpProxy;
  beforeEach(async () => {
    proxy = await startTcpProxy(Number(new URL(redisUrl()).port));
  });
  afterEach(async () => {
    await proxy.close();
  });

  it('leaves no listener, subscription or timer on connections the application passed in, over 5 start/close cycles', async () => {
    const namespace = uniqueNamespace();
    const own = new Redis(redisUrl());
    const ownBus = new Redis(redisUrl());
    const admin = new Redis(redisUrl());
    try {
      await Promise.all([own.ping(), ownBus.ping()]);
      const before = [listenerCounts(own), listenerCounts(ownBus)];
      for (let cycle = 0; cycle < 5; cycle += 1) {
        const app = await startCacheApp({ namespace, l2: { redis: own }, bus: { redis: ownBus } });
        await app.cache.set('k', cycle);
        await app.close();
      }
      expect([listenerCounts(own), listenerCounts(ownBus)]).toEqual(before);
      const [, subscribers] = (await admin.call('PUBSUB', 'NUMSUB', `tiered-cache:${namespace}:invalidations`)) as [string, number];
      expect(subscribers).toBe(0);
      expect(await ownBus.set('still-usable', '1')).toBe('OK');
    } finally {
      [own, ownBus, admin].forEach((client) => client.disconnect());
    }
  });

  it('applies an invalidation queued during an outage when the app closes right after Redis is back', async () => {
    const namespace = uniqueNamespace();
    const admin = new Redis(redisUrl());
    try {
      const app = await startCacheApp({ namespace, l2: { redis: proxy.url } });
      await app.cache.set('k', 'old');
      const l2 = app.app.get(CacheConnections).l2!;
      proxy.cut();
      await waitFor(() => l2.status !== 'ready');
      await app.cache.delete('k');
      await new Promise((resolve) => setTimeout(resolve, 2_200));
      const ready = new Promise((resolve) => l2.once('ready', resolve));
      proxy.restore();
      await ready;
      await app.close();
      expect(await admin.keys(`${namespace}:*`)).toEqual([]);
    } finally {
      admin.disconnect();
    }
  });

  it('closes within a bounded time while Redis is unreachable, logging the invalidations it drops', async () => {
    const app = await startCacheApp({ namespace: uniqueNamespace(), l2: { redis: proxy.url } });
    // NOTE: after compiling: the testing module installs its own logger.
    const logs = captureWarnings();
    try {
      await app.cache.set('k', 'old');
      proxy.cut();
      await app.cache.delete('k');
      await app.cache.invalidateTags('t');
      const started = Date.now();
      await app.close();
      const took = Date.now() - started;
      process.stdout.write(`shutdown with Redis unreachable took ${took} ms\n`);
      expect(took).toBeLessThan(10_000);
      await waitFor(() => logs.warnings.some((warning) => warning.includes('1 key and 1 tag not invalidated in Redis')));
    } finally {
      logs.restore();
    }
  });

  it('closes connections last: a write-behind flush at shutdown can still invalidate through the cache', async () => {
    const namespace = uniqueNamespace();
    @Module({
      imports: [CacheModule.forRoot({ namespace, l2: { redis: redisUrl() }, writeBehind: { redis: redisUrl(), flushOnShutdown: true } })],
      providers: [OrdersWriter],
    })
    class OrdersModule {}
    const admin = new Redis(redisUrl());
    try {
      const app = await (await Test.createTestingModule({ imports: [OrdersModule] }).compile()).init();
      await app.get(CacheService).set('orders-of:7', ['old list']);
      await app.get(OrdersWriter).save('7');
      await app.close();
      const left = (await admin.keys(`${namespace}:*`)).filter((key) => key.includes('orders-of'));
      expect(left).toEqual([]);
    } finally {
      admin.disconnect();
    }
  });

  it('closes within a bounded time while Redis is stalled (SIGSTOP)', async () => {
    const server = await startRedisServer();
    try {
      const app = await startCacheApp({ namespace: uniqueNamespace(), l2: { redis: server.url } });
      await app.cache.set('k', 'v');
      process.kill(server.pid!, 'SIGSTOP');
      const started = Date.now();
      try {
        await app.close();
      } finally {
        process.kill(server.pid!, 'SIGCONT');
      }
      const took = Date.now() - started;
      process.stdout.write(`shutdown with Redis stalled took ${took} ms\n`);
      expect(took).toBeLessThan(15_000);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('starts within a bounded time when Redis stalls before the bus subscribes', async () => {
    const server = await startRedisServer();
    const ownBus = new Redis(server.url);
    try {
      await ownBus.ping();
      process.kill(server.pid!, 'SIGSTOP');
      const started = Date.now();
      try {
        const app = await startCacheApp({ namespace: uniqueNamespace(), l2: { redis: server.url }, bus: { redis: ownBus } });
        process.stdout.write(`startup with Redis stalled took ${Date.now() - started} ms\n`);
        expect(await app.cache.getOrSet('k', async () => 'loaded')).toBe('loaded');
        await app.close();
      } finally {
        process.kill(server.pid!, 'SIGCONT');
      }
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      ownBus.disconnect();
      await server.stop();
    }
  }, 60_000);
});
