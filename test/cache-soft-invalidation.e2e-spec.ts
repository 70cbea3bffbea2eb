import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheEvict, CacheModule, Cacheable, type LoaderContext } from 'nestjs-tiered-cache';
import { Redis } from 'ioredis';
import { startCacheApp, type CacheApp } from './support/cache-app.factory.js';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

const ENTRY = { ttl: '1h', grace: '1h', tags: ['product:1'] } as const;
const failing = (): Promise<string> => Promise.reject(new Error('database down'));
const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe('soft invalidation', () => {
  let namespace: string;
  let apps: CacheApp[];
  /** `writer` invalidates; `peer` holds an L1 copy it hears about over the bus; `l2Only` reads Redis alone. */
  let writer: CacheApp;
  let peer: CacheApp;
  let l2Only: CacheApp;

  beforeEach(async () => {
    namespace = uniqueNamespace('soft');
    const l1 = { max: 1_000, ttl: '1h' as const };
    // NOTE: no failure throttle: a load right after a failed one must run (cache-failure-throttle tests it).
    const base = { namespace, l2: { redis: redisUrl() }, failureThrottle: 0 };
    writer = await startCacheApp({ ...base, l1 });
    peer = await startCacheApp({ ...base, l1 });
    l2Only = await startCacheApp({ ...base, l1: false });
    apps = [writer, peer, l2Only];
    await writer.cache.getOrSet('product:1', async () => 'v1', ENTRY);
    for (const app of apps) expect(await app.cache.get('product:1')).toBe('v1');
  });
  afterEach(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  async function expectStaleOnlyEverywhere(): Promise<void> {
    for (const app of apps) await waitFor(async () => (await app.cache.get('product:1')) === undefined, { timeout: 3_000 });
    for (const app of apps) {
      expect(await app.cache.ttl('product:1')).toBeUndefined();
      expect(await app.cache.getOrSet('product:1', failing, ENTRY)).toBe('v1');
      expect(await app.cache.get('product:1')).toBeUndefined();
    }
  }

  it.each([
    ['delete(key, { soft: true })', (cache: CacheApp['cache']) => cache.delete('product:1', { soft: true })],
    ['invalidateTags(tag, { soft: true })', (cache: CacheApp['cache']) => cache.invalidateTags('product:1', { soft: true })],
  ])('%s: never fresh again on any instance, the stale value while the loader fails, then the new value', async (_label, invalidate) => {
    await invalidate(writer.cache);

    await expectStaleOnlyEverywhere();
    for (const app of apps) expect(app.cache.stats.staleHits).toBe(1);

    expect(await peer.cache.getOrSet('product:1', async () => 'v2', ENTRY)).toBe('v2');
    for (const app of apps) await waitFor(async () => (await app.cache.get('product:1')) === 'v2', { timeout: 3_000 });
  });

  it('serves the stale value when the load after a soft invalidation outlives its timeout; the late load lands', async () => {
    await writer.cache.invalidateTags('product:1', { soft: true });
    const slow = async (): Promise<string> => {
      await sleep(300);
      return 'v2';
    };
    expect(await writer.cache.getOrSet('product:1', slow, { ...ENTRY, timeout: 50 })).toBe('v1');
    for (const app of apps) await waitFor(async () => (await app.cache.get('product:1')) === 'v2', { timeout: 3_000 });
  });

  it('keeps the stale L1 copies of other instances (told by the bus) and of an instance without L2', async () => {
    const alone = await startCacheApp({ namespace: uniqueNamespace('soft'), l1: { max: 1_000, ttl: '1h' }, l2: false });
    apps.push(alone);
    await alone.cache.set('product:1', 'v1', ENTRY);
    await alone.cache.delete('product:1', { soft: true });
    expect(await alone.cache.get('product:1')).toBeUndefined();
    expect(await alone.cache.getOrSet('product:1', failing, ENTRY)).toBe('v1');

    await writer.cache.delete('product:1', { soft: true });
    await waitFor(async () => (await peer.cache.get('product:1')) === undefined, { timeout: 3_000 });
    const redis = new Redis(redisUrl());
    await redis.del(...(await redis.keys(`${namespace}:v2:*`)));
    redis.disconnect();
    expect(await peer.cache.getOrSet('product:1', failing, ENTRY)).toBe('v1');
    await expect(l2Only.cache.getOrSet('product:1', failing, ENTRY)).rejects.toThrow('database down');
  });

  it('keeps the stale value in Redis with its expiry, fresh-until moved to now', async () => {
    const redis = new Redis(redisUrl());
    try {
      const [entryKey] = await redis.keys(`${namespace}:v2:*`);
      const before = await redis.pttl(entryKey);
      await writer.cache.delete('product:1', { soft: true });
      const after = await redis.pttl(entryKey);
      expect(after).toBeGreaterThan(before - 5_000);
      const freshUntil = (await redis.getBuffer(entryKey))!.readDoubleBE(9);
      expect(freshUntil).toBeLessThanOrEqual(Date.now());
    } finally {
      redis.disconnect();
    }
  });

  it('drops the result of a load that began before the soft invalidation (it read the old data)', async () => {
    // NOTE: an instance without the bus cannot hear of the invalidation: only the lock it lost stops its write.
    const deaf = await startCacheApp({ namespace, l1: false, l2: { redis: redisUrl() }, bus: false });
    apps.push(deaf);
    await writer.cache.delete('product:1');
    let release!: () => void;
    const loading = deaf.cache.getOrSet(
      'product:1',
      async (_context: LoaderContext<string>) => {
        await new Promise<void>((resolve) => (release = resolve));
        return 'read before the change';
      },
      ENTRY,
    );
    await waitFor(() => release !== undefined);
    await writer.cache.delete('product:1', { soft: true });
    release();
    expect(await loading).toBe('read before the change');
    await sleep(100);
    for (const app of apps) expect(await app.cache.get('product:1')).toBeUndefined();
  });

  it('tag form: a load under the old tag version finishing after the soft invalidation is never fresh', async () => {
    let release!: () => void;
    const loading = l2Only.cache.getOrSet(
      'product:2',
      async () => {
        await new Promise<void>((resolve) => (release = resolve));
        return 'old';
      },
      { ...ENTRY, tags: ['product:1'] },
    );
    await waitFor(() => release !== undefined);
    await writer.cache.invalidateTags('product:1', { soft: true });
    release();
    await loading;
    for (const app of apps) expect(await app.cache.get('product:2')).toBeUndefined();
  });

  it('stays a hard invalidation by default: no stale fallback afterwards', async () => {
    await writer.cache.invalidateTags('product:1');
    for (const app of apps) await waitFor(async () => (await app.cache.get('product:1')) === undefined, { timeout: 3_000 });
    for (const app of apps) await expect(app.cache.getOrSet('product:1', failing, ENTRY)).rejects.toThrow('database down');
  });

  it('a hard invalidation after a soft one removes the stale fallback too', async () => {
    await writer.cache.invalidateTags('product:1', { soft: true });
    await writer.cache.invalidateTags('product:1');
    for (const app of apps) await waitFor(async () => (await app.cache.get('product:1')) === undefined, { timeout: 3_000 });
    for (const app of apps) await expect(app.cache.getOrSet('product:1', failing, ENTRY)).rejects.toThrow('database down');
  });

  it('@CacheEvict({ soft: true }) leaves the stale value as the fallback of a failing method', async () => {
    @Injectable()
    class Products {
      database = 'up';
      name = 'item';
      @Cacheable({ key: 'item:{0}', tags: ['item:{0}'], ttl: '1h', grace: '1h' })
      async findOne(id: number): Promise<string> {
        if (this.database === 'down') throw new Error('database down');
        return `${this.name} ${id}`;
      }
      @CacheEvict({ tags: ['item:{0}'], soft: true })
      async rename(_id: number): Promise<void> {
        this.name = 'renamed';
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespace: uniqueNamespace('soft'), l2: { redis: redisUrl() }, failureThrottle: 0 })],
      providers: [Products],
    }).compile();
    const app = await moduleRef.init();
    try {
      const products = app.get(Products);
      expect(await products.findOne(1)).toBe('item 1');
      await products.rename(1);
      products.database = 'down';
      expect(await products.findOne(1)).toBe('item 1');
      products.database = 'up';
      expect(await products.findOne(1)).toBe('renamed 1');
    } finally {
      await app.close();
    }
  });

  it('checks its options', async () => {
    await expect(writer.cache.delete('product:1', { soft: 'yes' } as never)).rejects.toThrow(/'soft'/);
    await expect(writer.cache.invalidateTags('product:1', { hard: true } as never)).rejects.toThrow(/'hard'.*allowed: soft/);
    expect(await writer.cache.get('product:1')).toBe('v1');
  });
});
