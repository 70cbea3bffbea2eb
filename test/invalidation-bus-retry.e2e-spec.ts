import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RedisInvalidationBus } from '../libs/cache/src/invalidation/redis-invalidation.bus.js';
import type { InvalidationMessage } from '../libs/cache/src/invalidation/invalidation-message.js';
import { CacheStats } from '../libs/cache/src/stats/cache-stats.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

describe('invalidation bus publishing', () => {
  it('retries a publish that failed, counts the failure and never throws', async () => {
    const namespace = uniqueNamespace();
    const port = Number(new URL(redisUrl()).port);
    const proxy = await startTcpProxy(port);
    const publisher = new Redis(proxy.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    publisher.on('error', () => undefined);
    const connections = [publisher, new Redis(redisUrl()), new Redis(redisUrl()), new Redis(redisUrl())];
    const [, senderSubscriber, receiverPublisher, receiverSubscriber] = connections;
    const logger = new Logger('test');
    const senderStats = new CacheStats();
    const sender = new RedisInvalidationBus({ namespace, publisher, subscriber: senderSubscriber, maxStaleness: 1_000 }, undefined, senderStats, logger);
    const receiver = new RedisInvalidationBus(
      { namespace, publisher: receiverPublisher, subscriber: receiverSubscriber, maxStaleness: 1_000 },
      undefined,
      new CacheStats(),
      logger,
    );
    const received: InvalidationMessage[] = [];
    receiver.onRemoteInvalidation((message) => received.push(message));
    try {
      await Promise.all([senderSubscriber.ping(), receiverSubscriber.ping()]);
      await Promise.all([sender.start(), receiver.start()]);
      await waitFor(() => publisher.status === 'ready');
      proxy.cut();
      await waitFor(() => publisher.status !== 'ready');

      expect(() => sender.publish({ keys: ['a'] })).not.toThrow();
      sender.publish({ keys: ['a', 'b'], tags: ['t'] });
      await waitFor(() => (senderStats.errors.get('l2:publish') ?? 0) > 0);
      expect(received).toEqual([]);

      proxy.restore();
      await waitFor(() => received.length >= 2, { timeout: 10_000 });
      expect(received).toEqual([
        { keys: ['a', 'b'], tags: [], clear: false },
        { keys: [], tags: ['t'], clear: false },
      ]);
    } finally {
      sender.stop();
      receiver.stop();
      connections.forEach((connection) => connection.disconnect());
      await proxy.close();
    }
  });

  it('stops retrying at close: one bounded last attempt, then no timer keeps publishing', async () => {
    const proxy = await startTcpProxy(Number(new URL(redisUrl()).port));
    const publisher = new Redis(proxy.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    publisher.on('error', () => undefined);
    const subscriber = new Redis(redisUrl());
    const stats = new CacheStats();
    const warnings: string[] = [];
    const logger = { warn: (message: string) => warnings.push(message), log: () => undefined } as unknown as Logger;
    const bus = new RedisInvalidationBus({ namespace: uniqueNamespace(), publisher, subscriber, maxStaleness: 1_000 }, undefined, stats, logger);
    try {
      await subscriber.ping();
      await waitFor(() => publisher.status === 'ready');
      const ownListeners = await listenersAddedBy(() => bus.start(), [subscriber, 'messageBuffer'], [publisher, 'ready']);
      proxy.cut();
      await waitFor(() => publisher.status !== 'ready');
      bus.publish({ keys: ['a'] });
      await waitFor(() => (stats.errors.get('l2:publish') ?? 0) > 0);
      await bus.close(200);
      const failures = stats.errors.get('l2:publish') ?? 0;
      expect(warnings).toEqual([expect.stringContaining('1 key not published before shutdown')]);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(stats.errors.get('l2:publish')).toBe(failures);
      // NOTE: only the bus's own: ioredis itself holds a 'ready' listener while it reconnects the cut publisher.
      expect(ownListeners.filter(([emitter, event, listener]) => emitter.listeners(event).includes(listener))).toEqual([]);
    } finally {
      bus.stop();
      publisher.disconnect();
      subscriber.disconnect();
      await proxy.close();
    }
  });
});

type Watched = [emitter: Redis, event: string];

/** The listeners `start` added to the watched events. */
async function listenersAddedBy(start: () => Promise<void>, ...watched: Watched[]): Promise<[Redis, string, Function][]> {
  const before = watched.map(([emitter, event]) => new Set(emitter.listeners(event)));
  await start();
  return watched.flatMap(([emitter, event], index) =>
    emitter
      .listeners(event)
      .filter((listener) => !before[index].has(listener))
      .map((listener): [Redis, string, Function] => [emitter, event, listener]),
  );
}
