import { Injectable, Module, type DynamicModule, type INestApplicationContext, type Type } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { CacheModule, CacheService, CacheWarmer, Cacheable, type Warmer } from 'nestjs-tiered-cache';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

@Injectable()
class ProductsService {
  static loads = 0;
  static version = 1;

  @Cacheable({ key: 'product:{0}', ttl: '1h' })
  async findOne(id: number): Promise<string> {
    ProductsService.loads += 1;
    return `product ${id} v${ProductsService.version}`;
  }
}

@CacheWarmer({ runOnStartup: true })
@Injectable()
class PopularProductsWarmer implements Warmer {
  constructor(private readonly products: ProductsService) {}

  async warm(): Promise<void> {
    for (const id of [1, 2, 3]) await this.products.findOne(id);
  }
}

/** Every tick of every instance records the second it ran in. */
const ticks: number[] = [];

@CacheWarmer({ cron: '* * * * * *' })
@Injectable()
class EverySecondWarmer implements Warmer {
  async warm(): Promise<void> {
    ticks.push(Math.round(Date.now() / 1_000));
    await sleep(50);
  }
}

@CacheWarmer({ runOnStartup: true })
@Injectable()
class FailingWarmer implements Warmer {
  async warm(): Promise<void> {
    throw new Error('upstream down');
  }
}

async function start(namespace: string, providers: Type[], imports: DynamicModule[] = []): Promise<INestApplicationContext> {
  @Module({ imports: [CacheModule.forRoot({ namespace, l2: { redis: redisUrl() } }), ...imports], providers: [ProductsService, ...providers] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  try {
    return await moduleRef.init();
  } catch (error) {
    await moduleRef.close();
    throw error;
  }
}

describe('cache warmers', () => {
  it('warms on startup before init resolves, rewriting entries already cached', async () => {
    const namespace = uniqueNamespace();
    const seed = await start(namespace, []);
    await seed.get(CacheService).set('product:1', 'product 1 old', { ttl: '1h' });
    await seed.close();
    ProductsService.loads = 0;
    ProductsService.version = 2;

    const app = await start(namespace, [PopularProductsWarmer]);
    try {
      expect(ProductsService.loads).toBe(3);
      const cache = app.get(CacheService);
      expect(await cache.get('product:1')).toBe('product 1 v2');
      expect(await cache.get('product:3')).toBe('product 3 v2');
      await app.get(ProductsService).findOne(2);
      expect(ProductsService.loads).toBe(3);
    } finally {
      await app.close();
    }
  });

  it('runs each cron tick once across instances, with ScheduleModule imported too', async () => {
    const namespace = uniqueNamespace();
    const apps = [await start(namespace, [EverySecondWarmer], [ScheduleModule.forRoot()]), await start(namespace, [EverySecondWarmer])];
    ticks.length = 0;
    try {
      await sleep(3_500);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(new Set(ticks).size).toBe(ticks.length);
  });

  it('logs a failing warmer instead of failing startup', async () => {
    const app = await start(uniqueNamespace(), [FailingWarmer]);
    await app.close();
  });

  it('fails at startup on an invalid cron expression, naming the warmer', async () => {
    @CacheWarmer({ cron: 'every now and then' })
    @Injectable()
    class BadCronWarmer implements Warmer {
      async warm(): Promise<void> {}
    }
    await expect(start(uniqueNamespace(), [BadCronWarmer])).rejects.toThrow(/BadCronWarmer.*invalid cron/);
  });
});
