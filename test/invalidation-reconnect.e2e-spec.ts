import { CacheConnections } from '../libs/cache/src/stores/cache-connections.js';
import { startCacheApp, type CacheApp } from './support/cache-app.factory.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

const HOUR_L1 = { max: 1_000, ttl: '1h' as const };

describe('invalidations queued during an outage', () => {
  it('reach Redis and the other instances as soon as the connection is ready again', async () => {
    const namespace = uniqueNamespace();
    const proxy = await startTcpProxy(Number(new URL(redisUrl()).port));
    const apps: CacheApp[] = [];
    try {
      const cut = await startCacheApp({ namespace, l1: HOUR_L1, l2: { redis: proxy.url } });
      const other = await startCacheApp({ namespace, l1: HOUR_L1, l2: { redis: redisUrl() } });
      apps.push(cut, other);
      await other.cache.set('k', 'old');
      expect(await other.cache.get('k')).toBe('old');

      const l2 = cut.app.get(CacheConnections).l2!;
      proxy.cut();
      await waitFor(() => l2.status !== 'ready');
      await cut.cache.delete('k');
      expect(cut.cache.hasPendingInvalidations).toBe(true);
      // NOTE: long enough for the retries' backoff and the circuit breaker to reach their ceilings.
      await new Promise((resolve) => setTimeout(resolve, 3_000));

      const ready = new Promise<number>((resolve) => l2.once('ready', () => resolve(Date.now())));
      const restoredAt = Date.now();
      proxy.restore();
      await waitFor(async () => (await other.cache.get('k')) === undefined, { timeout: 10_000, interval: 5 });
      const seenAt = Date.now();
      const readyAt = await ready;
      process.stdout.write(
        `pending invalidation seen by another instance ${seenAt - restoredAt} ms after the cut ended, ${seenAt - readyAt} ms after reconnecting\n`,
      );
      expect(seenAt - readyAt).toBeLessThan(1_000);
      expect(cut.cache.hasPendingInvalidations).toBe(false);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
      await proxy.close();
    }
  });

  it('bounds L1 staleness while the bus has not subscribed yet (its Redis unreachable at startup)', async () => {
    const namespace = uniqueNamespace();
    const proxy = await startTcpProxy(Number(new URL(redisUrl()).port));
    const apps: CacheApp[] = [];
    try {
      proxy.cut();
      const late = await startCacheApp({ namespace, l1: HOUR_L1, l2: { redis: redisUrl() }, bus: { redis: proxy.url, maxStaleness: '300ms' } });
      const writer = await startCacheApp({ namespace, l1: HOUR_L1, l2: { redis: redisUrl() } });
      apps.push(late, writer);
      await writer.cache.set('k', 'old');
      expect(await late.cache.get('k')).toBe('old');
      await writer.cache.set('k', 'new');
      await waitFor(async () => (await late.cache.get('k')) === 'new', { timeout: 5_000 });

      proxy.restore();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await writer.cache.set('k', 'newer');
      await waitFor(async () => (await late.cache.get('k')) === 'newer', { timeout: 5_000 });
    } finally {
      await Promise.all(apps.map((app) => app.close()));
      await proxy.close();
    }
  });
});
