import { Injectable, Module, Scope } from '@nestjs/common';
import { ContextIdFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { Cacheable, CacheModule, CacheService, InvalidCacheOptionError, L1_STORE, L2_STORE } from 'nestjs-tiered-cache';
import { Redis } from 'ioredis';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

@Injectable()
class CacheSettings {
  readonly redis = redisUrl();
}

@Module({ providers: [CacheSettings], exports: [CacheSettings] })
class SettingsModule {}

@Injectable({ scope: Scope.REQUEST })
class PerRequestPrices {
  @Cacheable({ key: 'per-request-price:{0}' })
  async price(id: string): Promise<number> {
    return id.length;
  }
}

describe('CacheModule', () => {
  it('fails at startup on invalid options, naming the option', async () => {
    const build = Test.createTestingModule({ imports: [CacheModule.forRoot({ namespace: 'shop', l1: { max: 0 } })] }).compile();
    await expect(build).rejects.toThrow(InvalidCacheOptionError);
    await expect(
      Test.createTestingModule({ imports: [CacheModule.forRoot({ namespace: 'shop', defaultTtl: '5 min' as never })] }).compile(),
    ).rejects.toThrow(/'defaultTtl'/);
  });

  it('builds options with forRootAsync from injected providers', async () => {
    const namespace = uniqueNamespace();
    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheModule.forRootAsync({
          imports: [SettingsModule],
          inject: [CacheSettings],
          useFactory: (settings: CacheSettings) => ({ namespace, l2: { redis: settings.redis } }),
        }),
      ],
    }).compile();
    const app = await moduleRef.init();
    const cache = app.get(CacheService);
    await cache.set('k', 'v');
    expect(cache.namespace).toBe(namespace);
    expect(await app.get(L2_STORE).get('k')).toMatchObject({ value: 'v' });
    expect(await app.get(L1_STORE).get('k')).toMatchObject({ value: 'v' });
    await app.close();
  });

  it('closes connections it created but not one the application passed in', async () => {
    const own = new Redis(redisUrl());
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespace: uniqueNamespace(), l2: { redis: own } })],
    }).compile();
    const app = await moduleRef.init();
    await app.get(CacheService).set('k', 1);
    await app.close();
    expect(await own.ping()).toBe('PONG');
    own.disconnect();
  });

  it('works with l1: false and l2: false', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespace: uniqueNamespace(), l1: false, l2: false })],
    }).compile();
    const app = await moduleRef.init();
    const cache = app.get(CacheService);
    let calls = 0;
    await cache.getOrSet('k', async () => ++calls);
    await cache.getOrSet('k', async () => ++calls);
    expect(calls).toBe(2);
    expect(app.get(L1_STORE)).toBeNull();
    await app.close();
  });

  it('caches a request-scoped class provided by two running applications, each through its own cache', async () => {
    const build = (namespace: string) =>
      Test.createTestingModule({ imports: [CacheModule.forRoot({ namespace, l2: { redis: redisUrl() } })], providers: [PerRequestPrices] }).compile();
    const namespaces = [uniqueNamespace(), uniqueNamespace()];
    const apps = [await (await build(namespaces[0])).init(), await (await build(namespaces[1])).init()];
    const redis = new Redis(redisUrl());
    try {
      for (const [index, app] of apps.entries()) {
        const prices = await app.resolve(PerRequestPrices, ContextIdFactory.create());
        await prices.price(`id-${index}`);
      }
      const keys = await Promise.all(namespaces.map((namespace) => redis.keys(`${namespace}:v2:*`)));
      expect(keys).toEqual([[`${namespaces[0]}:v2:{per-request-price:id-0}`], [`${namespaces[1]}:v2:{per-request-price:id-1}`]]);
    } finally {
      redis.disconnect();
      await Promise.all(apps.map((app) => app.close()));
    }
  });

  it('rejects the L2 client as the bus connection, naming the option', async () => {
    const own = new Redis(redisUrl());
    try {
      const build = Test.createTestingModule({
        imports: [CacheModule.forRoot({ namespace: uniqueNamespace(), l2: { redis: own }, bus: { redis: own } })],
      }).compile();
      await expect(build).rejects.toThrow(/invalid option 'bus.redis'/);
      expect(await own.set('still-usable', '1')).toBe('OK');
    } finally {
      own.disconnect();
    }
  });
});
