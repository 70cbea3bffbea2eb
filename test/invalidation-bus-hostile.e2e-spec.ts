import { Packr } from 'msgpackr';
import { Redis } from 'ioredis';
import { spawnCacheWorker, type CacheWorker } from './support/cache-worker.client.js';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

const packr = new Packr({ useRecords: false });

/** Payloads another program (or an attacker with PUBLISH rights) could put on the bus channel. */
const HOSTILE: [string, Buffer][] = [
  ['the message from issue 7', packr.pack(['x', { length: 1 }, [], false])],
  ['keys that are an object', packr.pack([1, 'x', { length: 1 }, [], false])],
  ['numbers as keys', packr.pack([1, 'x', [1, 2, 3], [], false])],
  ['a tag that is a map', packr.pack([1, 'x', [], [{ a: 1 }], false])],
  ['100,000 keys', packr.pack([1, 'x', Array.from({ length: 100_000 }, (_, index) => `k${index}`), [], false])],
  ['an array header claiming 4 billion items', Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01])],
  ['an unknown extension', Buffer.from([0xc7, 0x01, 0x72, 0x00])],
  ['JSON', Buffer.from('{"keys":["k"],"clear":true}')],
  ['UTF-16 text', Buffer.from('\uFEFFkeys', 'utf16le')],
  ['nothing', Buffer.alloc(0)],
];

describe('invalidation bus under hostile input', () => {
  const workers: CacheWorker[] = [];
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.close()));
  });

  it('ignores and counts malformed messages, keeps serving, and still applies later valid ones', async () => {
    const namespace = uniqueNamespace();
    const options = { namespace, l1: { max: 1_000, ttl: '1h' as const }, l2: { redis: redisUrl() } };
    const [a, b] = [await spawnCacheWorker(options), await spawnCacheWorker(options)];
    workers.push(a, b);
    const raw = new Redis(redisUrl());
    try {
      await a.call('set', 'k', 'old');
      expect(await b.call('get', 'k')).toBe('old');

      for (const [, payload] of HOSTILE) await raw.publish(`tiered-cache:${namespace}:invalidations`, payload);
      await waitFor(async () => errorsOf(await b.call('stats')) >= HOSTILE.length, { timeout: 10_000 });

      expect(await b.call('get', 'k')).toBe('old');
      await a.call('set', 'k', 'new');
      await waitFor(async () => (await b.call('get', 'k')) === 'new', { timeout: 5_000 });
      expect(errorsOf(await b.call('stats'))).toBe(HOSTILE.length);
    } finally {
      raw.disconnect();
    }
  });

  it('clears L1 when another instance speaks a newer wire format (rolling upgrade), never crashing', async () => {
    const namespace = uniqueNamespace();
    const b = await spawnCacheWorker({ namespace, l1: { max: 1_000, ttl: '1h' }, l2: { redis: redisUrl() } });
    workers.push(b);
    const raw = new Redis(redisUrl());
    try {
      await b.call('set', 'k', 'old');
      // NOTE: the entry disappears from Redis behind the instance's back; only its L1 copy remains.
      await raw.del(...(await raw.keys(`${namespace}:*`)));
      expect(await b.call('get', 'k')).toBe('old');
      await raw.publish(`tiered-cache:${namespace}:invalidations`, packr.pack([3, 'upgraded-instance', { keys: ['k'] }]));
      await waitFor(async () => (await b.call('get', 'k')) === undefined, { timeout: 5_000 });
    } finally {
      raw.disconnect();
    }
  });
});

function errorsOf(stats: unknown): number {
  return (stats as { errors: Record<string, number> }).errors['l2:bus_message'] ?? 0;
}
