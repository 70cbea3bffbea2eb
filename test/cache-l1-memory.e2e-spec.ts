import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startCacheApp, type CacheApp } from './support/cache-app.factory.js';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

// NOTE: the heap is measured in this process after forced collections; Jest and Nest add noise of a few
// MB, so the bound is generous (1.5 × maxBytes + 8 MB) while the bug it guards against was 40× and 200×.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const MB = 1024 * 1024;
const SLACK = 8 * MB;
const BATCH = 500;
// NOTE: tens of thousands of writes and reads: generous on a busy machine.
const TIMEOUT = 120_000;

function retained(): number {
  collectGarbage();
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

describe('l1.maxBytes bounds the memory L1 holds', () => {
  let apps: CacheApp[] = [];

  afterEach(async () => {
    await Promise.all(apps.map((app) => app.close()));
    apps = [];
  });

  /** Writes `entries` values through an instance without L1, then reads them all through one with L1. */
  async function fillThroughRedis(maxBytes: number, make: (index: number) => unknown, entries: number): Promise<{ growth: number; cache: CacheApp['cache'] }> {
    const namespace = uniqueNamespace('l1mem');
    const writer = await startCacheApp({ namespace, l1: false, bus: false, l2: { redis: redisUrl() } });
    const reader = await startCacheApp({ namespace, bus: false, l1: { max: 1_000_000, maxBytes, ttl: '1h' }, l2: { redis: redisUrl() } });
    apps.push(writer, reader);
    for (let start = 0; start < entries; start += BATCH) {
      await writer.cache.setMany(Array.from({ length: BATCH }, (_, offset) => ({ key: `k:${start + offset}`, value: make(start + offset), ttl: '1h' })));
    }
    const before = retained();
    for (let start = 0; start < entries; start += BATCH) {
      await reader.cache.getMany(Array.from({ length: BATCH }, (_, offset) => `k:${start + offset}`));
    }
    const growth = retained() - before;
    return { growth, cache: reader.cache };
  }

  it('object-heavy values: decoded objects are what counts, not their encoded bytes', async () => {
    const maxBytes = 4 * MB;
    const { growth, cache } = await fillThroughRedis(maxBytes, (index) =>
      Array.from({ length: 20 }, (_, item) => ({ id: index * 100 + item, ok: true, at: new Date(index), name: `item ${item}` })),
      20_000,
    );
    process.stdout.write(`object-heavy: heap +${(growth / MB).toFixed(1)} MB for maxBytes ${maxBytes / MB} MB, ${cache.stats.l1Size?.keys()} entries kept\n`);
    expect(cache.stats.l1Size?.bytes()).toBeLessThanOrEqual(maxBytes);
    expect(growth).toBeLessThan(1.5 * maxBytes + SLACK);
  }, TIMEOUT);

  it('values holding a small Buffer keep a copy of their bytes, not the socket chunk they arrived in', async () => {
    // Each read also fetches a 256 KB value too big for L1: a view into the reply would pin its chunks.
    const maxBytes = 128 * 1024;
    const entries = 3_000;
    const namespace = uniqueNamespace('l1mem');
    const writer = await startCacheApp({ namespace, l1: false, bus: false, l2: { redis: redisUrl() } });
    const reader = await startCacheApp({ namespace, bus: false, l1: { max: 1_000_000, maxBytes, ttl: '1h' }, l2: { redis: redisUrl() } });
    apps.push(writer, reader);
    await writer.cache.set('padding', 'x'.repeat(256 * 1024), { ttl: '1h' });
    for (let start = 0; start < entries; start += BATCH) {
      await writer.cache.setMany(Array.from({ length: BATCH }, (_, offset) => ({ key: `k:${start + offset}`, value: { id: start + offset, bytes: Buffer.alloc(32, start + offset) }, ttl: '1h' })));
    }
    const before = retained();
    for (let index = 0; index < entries; index += 1) await reader.cache.getMany([`k:${index}`, 'padding']);
    const growth = retained() - before;
    const { cache } = reader;
    process.stdout.write(`32-byte Buffers: heap +${(growth / MB).toFixed(1)} MB for maxBytes ${maxBytes / 1024} KB, ${cache.stats.l1Size?.keys()} entries kept\n`);
    expect(cache.stats.l1Size?.bytes()).toBeLessThanOrEqual(maxBytes);
    expect(growth).toBeLessThan(1.5 * maxBytes + SLACK);
    const read = await cache.get<{ bytes: Buffer }>(`k:${entries - 1}`);
    expect(Buffer.isBuffer(read?.bytes)).toBe(true);
    expect(read?.bytes.equals(Buffer.alloc(32, entries - 1))).toBe(true);
    expect(await cache.get<{ bytes: Buffer }>(`k:${entries - 1}`)).toEqual(read);
  }, TIMEOUT);
});
