import { Redis } from 'ioredis';
import { spawnCacheWorker, type CacheWorker } from './support/cache-worker.client.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

const HOUR_L1 = { max: 100_000, ttl: '1h' as const };

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

describe('L1 coherence across processes', () => {
  const workers: CacheWorker[] = [];
  let namespace: string;

  async function spawn(extra: Record<string, unknown> = {}): Promise<CacheWorker> {
    const worker = await spawnCacheWorker({ namespace, l1: HOUR_L1, l2: { redis: redisUrl() }, ...extra });
    workers.push(worker);
    return worker;
  }

  beforeEach(() => {
    namespace = uniqueNamespace();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.close()));
  });

  it('propagates set, delete, tag invalidation and clear to two other instances holding hour-long L1 copies', async () => {
    const [a, b, c] = [await spawn(), await spawn(), await spawn()];
    const readers = [b, c];
    const changes: [string, () => Promise<unknown>, unknown][] = [
      ['set', () => a.call('set', 'k', 'new'), 'new'],
      ['delete', () => a.call('delete', 'k'), null],
      ['tag', () => a.call('invalidateTags', 'group'), null],
      ['clear', () => a.call('clear'), null],
    ];
    for (const [label, change, expected] of changes) {
      await a.call('setTagged', 'k', `old-${label}`, 'group');
      for (const reader of readers) {
        await waitFor(async () => (await reader.call('get', 'k')) === `old-${label}`, { timeout: 2_000 });
      }
      await change();
      for (const reader of readers) {
        await waitFor(async () => ((await reader.call('get', 'k')) ?? null) === expected, { timeout: 2_000 });
      }
    }
  });

  it('measures propagation latency over 1,000 changes', async () => {
    const [a, b] = [await spawn(), await spawn()];
    await a.call('set', 'hot', 0);
    expect(await b.call('get', 'hot')).toBe(0);
    const latencies: number[] = [];
    for (let version = 1; version <= 1_000; version += 1) {
      const seen = b.call<number>('watch', 'hot', version - 1, 2_000);
      const resolvedAt = await a.call<number>('set', 'hot', version);
      latencies.push(Math.max(0, (await seen) - resolvedAt));
    }
    latencies.sort((x, y) => x - y);
    const [p50, p99] = [percentile(latencies, 0.5), percentile(latencies, 0.99)];
    process.stdout.write(`bus propagation over 1000 changes: p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms\n`);
    expect(latencies).toHaveLength(1_000);
  });

  it('clears L1 after its subscriber was killed, so a change made meanwhile is not missed', async () => {
    const [a, b] = [await spawn(), await spawn()];
    const admin = new Redis(redisUrl());
    try {
      await a.call('set', 'k', 'old');
      expect(await b.call('get', 'k')).toBe('old');
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await a.call('set', 'k', 'new');
      await waitFor(async () => (await b.call('get', 'k')) === 'new', { timeout: 5_000 });
    } finally {
      admin.disconnect();
    }
  });

  it('does not serve the old value after a longer cut of its bus connection', async () => {
    const proxy: TcpProxy = await startTcpProxy(Number(new URL(redisUrl()).port));
    try {
      const a = await spawn();
      const b = await spawn({ bus: { redis: proxy.url, maxStaleness: '300ms' } });
      await a.call('set', 'k', 'old');
      expect(await b.call('get', 'k')).toBe('old');
      proxy.cut();
      await a.call('set', 'k', 'new');
      await waitFor(async () => (await b.call('get', 'k')) === 'new', { timeout: 3_000 });
      proxy.restore();
      await a.call('set', 'k', 'newer');
      await waitFor(async () => (await b.call('get', 'k')) === 'newer', { timeout: 5_000 });
    } finally {
      await proxy.close();
    }
  });

  it('keeps up with 10,000 changes per second from another instance', async () => {
    const [a, b] = [await spawn(), await spawn()];
    const keys = 1_000;
    const names = Array.from({ length: keys }, (_, index) => `burst:${index}`);
    await a.call('burst', keys, keys);
    await b.call('getMany', names);
    const changes = 30_000;
    const { seconds } = await a.call<{ seconds: number }>('burst', changes, keys);
    const started = Date.now();
    const expected = names.map((_, index) => changes - keys + index);
    await waitFor(async () => JSON.stringify(await b.call('getMany', names)) === JSON.stringify(expected), {
      timeout: 10_000,
      interval: 50,
    });
    const rate = Math.round(changes / seconds);
    process.stdout.write(`bus burst: ${changes} changes at ${rate}/s from A; B consistent ${Date.now() - started} ms after the last\n`);
    expect(rate).toBeGreaterThan(0);
  });
});
