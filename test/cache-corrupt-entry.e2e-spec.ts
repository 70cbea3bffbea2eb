import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheMetricsModule, CacheModule, CacheService, Cacheable } from 'nestjs-tiered-cache';
import { Redis } from 'ioredis';
import { RedisKeyLayout } from '../libs/cache/src/stores/redis-key.layout.js';
import { register } from 'prom-client';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

// Envelope layout (libs/cache/src/serialization/envelope.codec.ts): marker, created-at, fresh-until,
// stale-until, load duration (float64 BE), tag-section length (uint32 BE), tags, value (format byte first).
const CREATED_AT = 1;
const FRESH_UNTIL = 9;
const STALE_UNTIL = 17;
const TAG_LENGTH = 33;
const HEADER = 37;

type Tamper = (valid: Buffer) => Buffer;

function withDouble(offset: number, value: number): Tamper {
  return (valid) => {
    const copy = Buffer.from(valid);
    copy.writeDoubleBE(value, offset);
    return copy;
  };
}

/** Replaces the tag section (the entry must have been written without tags) with `tagBytes`. */
function withTagSection(tagBytes: Buffer): Tamper {
  return (valid) => {
    const header = Buffer.from(valid.subarray(0, HEADER));
    header.writeUInt32BE(tagBytes.length, TAG_LENGTH);
    return Buffer.concat([header, tagBytes, valid.subarray(HEADER)]);
  };
}

const TAMPERED: [string, Tamper][] = [
  ['foreign bytes (not an envelope)', () => Buffer.from('{"id":1,"name":"from another app"}')],
  ['an empty value', () => Buffer.alloc(0)],
  ['a truncated entry', (valid) => valid.subarray(0, valid.length - 3)],
  ['a truncated header', (valid) => valid.subarray(0, 20)],
  ['an unknown value-format byte', (valid) => Buffer.concat([valid.subarray(0, HEADER), Buffer.from([7]), valid.subarray(HEADER + 1)])],
  ['value bytes that are not MessagePack', (valid) => Buffer.concat([valid.subarray(0, HEADER), Buffer.from([0, 0xc1, 0xc1])])],
  ['a NaN created-at', withDouble(CREATED_AT, Number.NaN)],
  ['a NaN fresh-until', withDouble(FRESH_UNTIL, Number.NaN)],
  ['an infinite stale-until', withDouble(STALE_UNTIL, Number.POSITIVE_INFINITY)],
  ['fresh-until after stale-until', (valid) => withDouble(FRESH_UNTIL, valid.readDoubleBE(STALE_UNTIL) + 60_000)(valid)],
  ['a tag section longer than the entry', (valid) => {
    const copy = Buffer.from(valid);
    copy.writeUInt32BE(1_000_000, TAG_LENGTH);
    return copy;
  }],
  ['a tag section that is a string', withTagSection(Buffer.from([0, 0xa3, 0x61, 0x62, 0x63]))],
  ['a tag section with a non-numeric version', withTagSection(Buffer.from([0, 0x81, 0xa1, 0x74, 0xa1, 0x78]))],
  ['a tag section that is not MessagePack', withTagSection(Buffer.from([0, 0xc1]))],
];

@Injectable()
class Catalog {
  loads = 0;

  @Cacheable({ key: 'item:{0}' })
  async find(id: string): Promise<string> {
    this.loads += 1;
    return `loaded ${id}`;
  }
}

describe('corrupt, truncated or foreign L2 entries are counted misses', () => {
  let namespace: string;
  let redis: Redis;
  let apps: INestApplicationContext[];

  async function start(): Promise<{ cache: CacheService; catalog: Catalog }> {
    @Module({ imports: [CacheModule.forRoot({ namespace, l2: { redis: redisUrl() } }), CacheMetricsModule], providers: [Catalog] })
    class AppModule {}
    const app = await (await Test.createTestingModule({ imports: [AppModule] }).compile()).init();
    apps.push(app);
    return { cache: app.get(CacheService), catalog: app.get(Catalog) };
  }

  /** Writes a valid entry for `key` through the cache, then replaces its bytes in Redis. */
  async function plant(keys: readonly string[], tamper: Tamper): Promise<void> {
    const writer = await start();
    for (const key of keys) await plant1(writer.cache, key, tamper);
  }

  async function plant1(writer: CacheService, key: string, tamper: Tamper): Promise<void> {
    await writer.set(key, { id: key, name: 'valid' }, { ttl: '1h' });
    const redisKey = new RedisKeyLayout(namespace).entry(key);
    const valid = await redis.getBuffer(redisKey);
    if (valid === null) throw new Error(`no entry at ${redisKey}`);
    await redis.set(redisKey, tamper(valid), 'PX', 3_600_000);
  }

  beforeEach(() => {
    namespace = uniqueNamespace('corrupt');
    redis = new Redis(redisUrl());
    apps = [];
  });

  afterEach(async () => {
    await Promise.all(apps.map((app) => app.close()));
    redis.disconnect();
  });

  it.each(TAMPERED)('%s: get, has, getMany miss; getOrSet and @Cacheable run the loader; nothing rejects', async (_name, tamper) => {
    await plant(['get', 'has', 'many', 'getOrSet', 'item:1'], tamper);
    const reader = await start();
    await reader.cache.set('good', 'fine');

    await expect(reader.cache.get('get')).resolves.toBeUndefined();
    await expect(reader.cache.has('has')).resolves.toBe(false);
    await expect(reader.cache.getMany(['many', 'good'])).resolves.toEqual([undefined, 'fine']);
    await expect(reader.cache.getOrSet('getOrSet', async () => 'from the loader')).resolves.toBe('from the loader');
    await expect(reader.catalog.find('1')).resolves.toBe('loaded 1');

    expect(reader.catalog.loads).toBe(1);
    expect(reader.cache.stats.errors.get('l2:decode')).toBe(5);
    // The corrupt entries are gone (or replaced by the loader's value): a fresh instance reads cleanly.
    const fresh = await start();
    await waitFor(async () => (await redis.exists(...['get', 'has', 'many'].map((key) => new RedisKeyLayout(namespace).entry(key)))) === 0);
    await expect(fresh.cache.get('getOrSet')).resolves.toBe('from the loader');
    await expect(fresh.catalog.find('1')).resolves.toBe('loaded 1');
    expect(fresh.catalog.loads).toBe(0);
    expect(fresh.cache.stats.errors.get('l2:decode')).toBeUndefined();
  });

  it('a key of another Redis type (WRONGTYPE) fails only itself in a batch read', async () => {
    const reader = await start();
    await reader.cache.set('good', 'fine');
    await redis.hset(new RedisKeyLayout(namespace).entry('wrong'), 'field', 'foreign');
    await expect(reader.cache.getMany(['wrong', 'good'])).resolves.toEqual([undefined, 'fine']);
    await expect(reader.cache.getOrSet('wrong', async () => 'from the loader')).resolves.toBe('from the loader');
    await expect(reader.cache.getMany(['wrong', 'good'])).resolves.toEqual(['from the loader', 'fine']);
  });

  it('counts decode errors in cache_errors_total', async () => {
    await plant(['broken'], () => Buffer.from('not an entry'));
    const reader = await start();
    await reader.cache.get('broken');
    const line = (await register.metrics())
      .split('\n')
      .find((candidate) => candidate.startsWith('cache_errors_total{') && candidate.includes(`namespace="${namespace}"`));
    expect(line).toContain('operation="decode"');
    expect(line).toContain('cache_layer="l2"');
    expect(line?.endsWith(' 1')).toBe(true);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
