import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheModule, CacheService, RefreshAhead, type GetOrSetOptions } from 'nestjs-tiered-cache';
import { startCacheApp, type CacheApp } from './support/cache-app.factory.js';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe('refresh ahead', () => {
  const apps: CacheApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('returns the cached value after refreshAt × ttl and reloads it in the background', async () => {
    const app = await startCacheApp({ namespace: uniqueNamespace(), l2: { redis: redisUrl() } });
    apps.push(app);
    let version = 0;
    const loader = async (): Promise<number> => {
      version += 1;
      return version;
    };
    const options = { ttl: 1_000, refreshAhead: 0.3 };
    expect(await app.cache.getOrSet('popular', loader, options)).toBe(1);
    expect(await app.cache.getOrSet('popular', loader, options)).toBe(1);
    expect(version).toBe(1);

    await sleep(400);
    expect(await app.cache.getOrSet('popular', loader, options)).toBe(1);
    await waitFor(async () => (await app.cache.get('popular')) === 2);
    expect(app.cache.stats.refreshAhead.refreshed).toBe(1);
    expect(app.cache.stats.misses.l1).toBe(1);
  });

  it('rejects an invalid refreshAhead on a hit as on a miss, naming the option, and never throws synchronously', async () => {
    const app = await startCacheApp({ namespace: uniqueNamespace(), l2: false });
    apps.push(app);
    await app.cache.set('cached', 1);
    for (const refreshAhead of [-1, 2, 'soon']) {
      const options = { refreshAhead } as unknown as GetOrSetOptions;
      let hit: Promise<number> | undefined;
      expect(() => (hit = app.cache.getOrSet('cached', async () => 2, options))).not.toThrow();
      await expect(hit).rejects.toThrow(/refreshAhead/);
      await expect(app.cache.getOrSet('missing', async () => 2, options)).rejects.toThrow(/refreshAhead/);
    }
    expect(await app.cache.get('cached')).toBe(1);
    expect(app.cache.stats.hits.l1).toBe(4);
  });

  it('refreshes once across instances that read past the point at the same time', async () => {
    const namespace = uniqueNamespace();
    const first = await startCacheApp({ namespace, l2: { redis: redisUrl() } });
    const second = await startCacheApp({ namespace, l2: { redis: redisUrl() } });
    apps.push(first, second);
    let loads = 0;
    const loader = async (): Promise<string> => {
      loads += 1;
      await sleep(200);
      return `v${loads}`;
    };
    const options = { ttl: 2_000, refreshAhead: 0.2 };
    await first.cache.getOrSet('shared', loader, options);
    expect(await second.cache.getOrSet('shared', loader, options)).toBe('v1');
    await sleep(500);

    const reads = await Promise.all(
      Array.from({ length: 20 }, (_, index) => (index % 2 ? first : second).cache.getOrSet('shared', loader, options)),
    );

    expect(new Set(reads)).toEqual(new Set(['v1']));
    await waitFor(async () => (await first.cache.get('shared')) === 'v2' && (await second.cache.get('shared')) === 'v2');
    expect(loads).toBe(2);
    expect(first.cache.stats.refreshAhead.skipped + second.cache.stats.refreshAhead.skipped).toBe(1);
  });

  it('refreshes early, before expiry, with xfetch', async () => {
    const app = await startCacheApp({ namespace: uniqueNamespace(), l2: { redis: redisUrl() } });
    apps.push(app);
    let loads = 0;
    const loader = async (): Promise<number> => {
      loads += 1;
      await sleep(400);
      return loads;
    };
    const options = { ttl: 3_000, refreshAhead: 'xfetch' as const };
    await app.cache.getOrSet('x', loader, options);
    await sleep(1_200);
    for (let read = 0; read < 100 && loads < 2; read += 1) {
      expect(await app.cache.getOrSet('x', loader, options)).toBe(1);
      await sleep(10);
    }
    expect(loads).toBe(2);
    await waitFor(async () => (await app.cache.get('x')) === 2);
    expect(app.cache.stats.misses.l1).toBe(1);
  });
});

describe('@RefreshAhead', () => {
  @Injectable()
  class PopularProducts {
    loads = 0;

    @RefreshAhead({ key: 'products:popular', ttl: 1_000, refreshAt: 0.3 })
    async popular(): Promise<string[]> {
      this.loads += 1;
      return [`top-${this.loads}`];
    }
  }

  it('serves the cached list and refreshes it in the background', async () => {
    @Module({ imports: [CacheModule.forRoot({ namespace: uniqueNamespace(), l2: { redis: redisUrl() } })], providers: [PopularProducts] })
    class AppModule {}
    const app = await (await Test.createTestingModule({ imports: [AppModule] }).compile()).init();
    try {
      const products = app.get(PopularProducts);
      expect(await products.popular()).toEqual(['top-1']);
      await sleep(400);
      expect(await products.popular()).toEqual(['top-1']);
      await waitFor(async () => (await app.get(CacheService).get<string[]>('products:popular'))?.[0] === 'top-2');
      expect(await products.popular()).toEqual(['top-2']);
      expect(products.loads).toBe(2);
    } finally {
      await app.close();
    }
  });

  it('fails at startup on an invalid refreshAt, naming the method', async () => {
    @Injectable()
    class Broken {
      @RefreshAhead({ key: 'k', refreshAt: 1.5 })
      async value(): Promise<number> {
        return 1;
      }
    }
    @Module({ imports: [CacheModule.forRoot({ namespace: uniqueNamespace(), l2: false })], providers: [Broken] })
    class BrokenModule {}
    const moduleRef = await Test.createTestingModule({ imports: [BrokenModule] }).compile();
    await expect(moduleRef.init()).rejects.toThrow(/Broken\.value.*refreshAt/);
    await moduleRef.close();
  });
});
