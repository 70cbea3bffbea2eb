import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { uniqueNamespace } from '../support/test-redis.js';
import { useFaultEnvironment } from './support/fault-environment.js';
import { printFigures, sleep, Violations } from './support/fault-figures.js';

// Item 32 of issue 7: `l1.maxBytes` must bound what L1 really keeps in memory, for object-heavy
// values (decoded objects are far larger than their encoding) and for values holding a Buffer read
// from Redis (a view into ioredis' socket chunk keeps the whole chunk alive).
const MB = 2 ** 20;
// NOTE: the contract asked for is "a bound a user can trust": we accept up to 4× maxBytes (decoding
// overhead, lru-cache bookkeeping) plus 16 MB of measurement noise (ioredis buffers, Jest).
const FACTOR = 4;
const NOISE = 16 * MB;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap plus ArrayBuffer memory after full collections. */
function retainedBytes(): number {
  for (let round = 0; round < 3; round += 1) gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describe('fault: L1 memory under maxBytes', () => {
  const env = useFaultEnvironment();
  const { apps } = env;

  let readBaseline = 0;

  it.each([
    // Small records (a 4-byte encoding each), as a list endpoint caches them.
    ['object-heavy values written locally', 4 * MB, 5_000, () => Array.from({ length: 200 }, (_, item) => ({ n: item % 100 }))],
    ['32-byte Buffers read from Redis', 1 * MB, 20_000, () => ({ bytes: randomBytes(32) })],
  ])('%s: L1 keeps at most a stated factor of maxBytes', async (kind, maxBytes, count, value) => {
    const namespace = uniqueNamespace('memory');
    const fromRedis = kind.includes('Redis');
    const writer = await apps.start({ namespace, l1: fromRedis ? false : { max: 1_000_000, maxBytes }, l2: { redis: env.server.url } });
    const reader = fromRedis ? await apps.start({ namespace, l1: { max: 1_000_000, maxBytes }, l2: { redis: env.server.url } }) : writer;
    const keys = Array.from({ length: count }, (_, index) => `v:${index}`);
    const before = fromRedis ? 0 : retainedBytes();
    for (let start = 0; start < count; start += 500) {
      await writer.cache.setMany(keys.slice(start, start + 500).map((key) => ({ key, value: value() })));
    }
    if (fromRedis) {
      await sleep(500);
      const baseline = retainedBytes();
      for (let start = 0; start < count; start += 500) await reader.cache.getMany(keys.slice(start, start + 500));
      readBaseline = baseline;
    }
    const grown = retainedBytes() - (fromRedis ? readBaseline : before);
    const accounted = reader.cache.stats.l1Size?.bytes() ?? 0;
    const bound = FACTOR * maxBytes + NOISE;

    printFigures(`L1 memory: ${kind}`, {
      'l1.maxBytes': `${maxBytes / MB} MB`,
      values: count,
      'L1 accounts': `${(accounted / MB).toFixed(1)} MB`,
      'L1 keys': reader.cache.stats.l1Size?.keys() ?? 0,
      'heap+arrayBuffers grew': `${(grown / MB).toFixed(1)} MB`,
      bound: `${(bound / MB).toFixed(0)} MB`,
    });
    const violations = new Violations();
    violations.check(grown <= bound, `memory grew ${(grown / MB).toFixed(1)} MB with l1.maxBytes ${maxBytes / MB} MB (bound ${FACTOR}× + ${NOISE / MB} MB)`);
    expect(violations.list).toEqual([]);
  }, 60_000);
});
