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
});
