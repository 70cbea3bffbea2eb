import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheModule, CacheService, InvalidCacheOptionError } from 'nestjs-tiered-cache';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

describe('options are bounded and type-checked (issue 7.26, 7.33)', () => {
  it('rejects isGlobal that is not a boolean when the module is declared', () => {
    expect(() => CacheModule.forRoot({ namespace: 'shop', isGlobal: 'no' as never })).toThrow(/'isGlobal'.*true or false/);
    expect(() => CacheModule.forRootAsync({ useFactory: () => ({ namespace: 'shop' }), isGlobal: 'no' as never })).toThrow(/'isGlobal'/);
  });

  it('fails startup for unbounded durations and string booleans from an async factory', async () => {
    for (const [options, message] of [
      [{ defaultTtl: 1e300 }, /'defaultTtl'/],
      [{ grace: `${'9'.repeat(400)}ms` }, /'grace'/],
      [{ l1: { max: 2 ** 32 } }, /'l1.max'/],
      [{ writeBehind: { redis: redisUrl(), flushOnShutdown: 'false' } }, /'writeBehind.flushOnShutdown'/],
    ] as const) {
      @Module({ imports: [CacheModule.forRootAsync({ useFactory: () => ({ namespace: uniqueNamespace(), ...options }) as never })] })
      class AppModule {}
      await expect(Test.createTestingModule({ imports: [AppModule] }).compile()).rejects.toThrow(message);
    }
  });

  it('checks per-call durations the same way, so Redis never sees a fractional or huge PX', async () => {
    @Module({ imports: [CacheModule.forRoot({ namespace: uniqueNamespace(), l2: { redis: redisUrl() } })] })
    class AppModule {}
    const app = await (await Test.createTestingModule({ imports: [AppModule] }).compile()).init();
    try {
      const cache = app.get(CacheService);
      await expect(cache.set('k', 'v', { ttl: 4000.7 })).rejects.toThrow(InvalidCacheOptionError);
      await expect(cache.set('k', 'v', { grace: 1e300 })).rejects.toThrow(/'grace'/);
      await expect(cache.getOrSet('k', () => 'v', { timeout: '30d' })).rejects.toThrow(/'timeout'/);
      await cache.set('k', 'v', { ttl: 4000 });
      expect(await cache.get('k')).toBe('v');
      expect(cache.stats.snapshot().errors).toEqual({});
    } finally {
      await app.close();
    }
  });
});
