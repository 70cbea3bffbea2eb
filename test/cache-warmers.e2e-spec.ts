import { Injectable, Module, type DynamicModule, type INestApplicationContext, type Type } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Redis } from 'ioredis';
import { Test } from '@nestjs/testing';
import { CacheModule, CacheService, CacheWarmer, Cacheable, type Warmer } from 'nestjs-tiered-cache';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

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

/** What every instance's cycles did in the current test (a cycle left over from an earlier test writes to its own log). */
const newLog = () => ({ active: 0, maxActive: 0, started: 0, finished: 0, aborted: 0, startedWhileOverrunning: 0, overrunning: false });
let log = newLog();

function resetLog(): void {
  log = newLog();
}

async function cycle(signal: AbortSignal, work: (signal: AbortSignal, current: ReturnType<typeof newLog>) => Promise<void>): Promise<void> {
  const current = log;
  if (current.overrunning) current.startedWhileOverrunning += 1;
  current.started += 1;
  current.active += 1;
  current.maxActive = Math.max(current.maxActive, current.active);
  try {
    await work(signal, current);
  } finally {
    current.active -= 1;
    current.finished += 1;
  }
}

/** Every second; overruns its 300 ms timeout and, once aborted, needs 1.5 s more to stop. */
@CacheWarmer({ name: 'overrun', cron: '* * * * * *', timeout: 300 })
@Injectable()
class OverrunningWarmer implements Warmer {
  async warm(signal: AbortSignal): Promise<void> {
    await cycle(signal, async (_, current) => {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      current.aborted += 1;
      current.overrunning = true;
      await sleep(1_500);
      current.overrunning = false;
    });
  }
}

/** Every second; holds its cycle for 2.5 s (well within its timeout). */
@CacheWarmer({ name: 'X', cron: '* * * * * *', timeout: '10s' })
@Injectable()
class LongWarmer implements Warmer {
  async warm(signal: AbortSignal): Promise<void> {
    await cycle(signal, () => sleep(2_500));
  }
}

/** Every second; holds its cycle for 5 s, longer than the running lock's renewal period. */
@CacheWarmer({ name: 'Y', cron: '* * * * * *', timeout: '20s' })
@Injectable()
class VeryLongWarmer implements Warmer {
  static running = 0;

  async warm(): Promise<void> {
    VeryLongWarmer.running += 1;
    await sleep(5_000).finally(() => (VeryLongWarmer.running -= 1));
  }
}

/** On startup; ignores its signal and takes 3 s, ten times its timeout. */
@CacheWarmer({ runOnStartup: true, timeout: 300 })
@Injectable()
class DeafStartupWarmer implements Warmer {
  async warm(signal: AbortSignal): Promise<void> {
    await cycle(signal, () => sleep(3_000));
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
    const from = Date.now();
    try {
      await sleep(3_500);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
    // NOTE: counted against the instants in the window, not by rounding each run's clock (lag moves it).
    const instants = Math.floor(Date.now() / 1_000) - Math.floor(from / 1_000);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.length).toBeLessThanOrEqual(instants);
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

describe('warmers (issue 7.12, 7.22)', () => {
  beforeEach(resetLog);

  it('aborts an overrunning cycle through its signal and starts no other cycle, on any instance, until it returns', async () => {
    const namespace = uniqueNamespace();
    const apps = [await start(namespace, [OverrunningWarmer]), await start(namespace, [OverrunningWarmer])];
    try {
      await waitFor(() => log.finished >= 2, { timeout: 15_000 });
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
    console.log(`overrunning warmer: ${log.started} cycles started, ${log.aborted} aborted, at most ${log.maxActive} at once`);
    expect(log.aborted).toBeGreaterThanOrEqual(2);
    expect(log.maxActive).toBe(1);
    expect(log.startedWhileOverrunning).toBe(0);
  });

  it('keeps warmer locks apart from user keys: a user key named like the lock cannot release it', async () => {
    const namespace = uniqueNamespace();
    const first = await start(namespace, [LongWarmer]);
    let second: INestApplicationContext | undefined;
    try {
      await waitFor(() => log.active === 1, { timeout: 5_000 });
      const cache = first.get(CacheService);
      await cache.set('warm:X:running', 'user value');
      await cache.getOrSet('warm:X:running:tick', () => 'user value');
      second = await start(namespace, [LongWarmer]);
      await cache.delete('warm:X:running');
      await sleep(2_000);
      expect(log.maxActive).toBe(1);
      expect(await second.get(CacheService).get('warm:X:running')).toBeUndefined();
    } finally {
      await first.close();
      await second?.close();
    }
  });

  it('takes its running lock back after clear() deleted it, while the cycle runs', async () => {
    const namespace = uniqueNamespace();
    const app = await start(namespace, [VeryLongWarmer]);
    const redis = new Redis(redisUrl());
    try {
      await waitFor(() => VeryLongWarmer.running === 1, { timeout: 5_000 });
      await app.get(CacheService).clear();
      expect(await redis.exists(`${namespace}:warm:Y:running`)).toBe(0);
      await waitFor(async () => (await redis.exists(`${namespace}:warm:Y:running`)) === 1, { timeout: 4_500 });
      expect(VeryLongWarmer.running).toBe(1);
    } finally {
      redis.disconnect();
      await app.close();
    }
  });

  it('lets app.init() resolve at the startup timeout even if warm() ignores its signal', async () => {
    const started = performance.now();
    const app = await start(uniqueNamespace(), [DeafStartupWarmer]);
    const elapsed = performance.now() - started;
    try {
      console.log(`init with a deaf 3 s startup warmer (timeout 300 ms) resolved after ${elapsed.toFixed(0)} ms`);
      expect(log.active).toBe(1);
      expect(elapsed).toBeLessThan(2_900);
    } finally {
      await app.close();
    }
    await waitFor(() => log.finished === 1, { timeout: 10_000 });
  });

  it('rejects bad warmer options and two warmers of one name at startup', async () => {
    @CacheWarmer({ name: 'X', timeout: 2.5 })
    @Injectable()
    class FractionalTimeout implements Warmer {
      async warm(): Promise<void> {}
    }
    @CacheWarmer({ runOnStartup: 'yes' } as never)
    @Injectable()
    class StringFlag implements Warmer {
      async warm(): Promise<void> {}
    }
    @CacheWarmer({ name: 'X' })
    @Injectable()
    class SameName implements Warmer {
      async warm(): Promise<void> {}
    }
    await expect(start(uniqueNamespace(), [FractionalTimeout])).rejects.toThrow(/X: .*'timeout'.*whole number/);
    await expect(start(uniqueNamespace(), [StringFlag])).rejects.toThrow(/StringFlag: @CacheWarmer option 'runOnStartup' must be true or false/);
    await expect(start(uniqueNamespace(), [LongWarmer, SameName])).rejects.toThrow(/X: two @CacheWarmer providers have this name/);
  });
});
