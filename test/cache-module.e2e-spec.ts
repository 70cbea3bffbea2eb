import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheModule, CacheService, InvalidCacheOptionError, L1_STORE, L2_STORE } from 'nestjs-tiered-cache';
import { Redis } from 'ioredis';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

@Injectable()
class CacheSettings {
  readonly redis = redisUrl();
}

@Module({ providers: [CacheSettings], exports: [CacheSettings] })
class SettingsModule {}

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
});
