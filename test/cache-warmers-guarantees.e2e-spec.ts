import { Injectable, Module, type INestApplicationContext, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheModule, CacheService, CacheWarmer, type Warmer } from 'nestjs-tiered-cache';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** What every instance's cycles did, in one place. */
const log = { active: 0, maxActive: 0, started: 0, finished: 0, aborted: 0, startedWhileOverrunning: 0, overrunning: false };

function resetLog(): void {
  Object.assign(log, { active: 0, maxActive: 0, started: 0, finished: 0, aborted: 0, startedWhileOverrunning: 0, overrunning: false });
}

async function cycle(signal: AbortSignal, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  if (log.overrunning) log.startedWhileOverrunning += 1;
  log.started += 1;
  log.active += 1;
  log.maxActive = Math.max(log.maxActive, log.active);
  try {
    await work(signal);
  } finally {
    log.active -= 1;
    log.finished += 1;
  }
}

/** Every second; overruns its 300 ms timeout and, once aborted, needs 1.5 s more to stop. */
@CacheWarmer({ name: 'overrun', cron: '* * * * * *', timeout: 300 })
@Injectable()
class OverrunningWarmer implements Warmer {
  async warm(signal: AbortSignal): Promise<void> {
    await cycle(signal, async () => {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      log.aborted += 1;
      log.overrunning = true;
      await sleep(1_500);
      log.overrunning = false;
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

async function start(namespace: string, providers: Type[]): Promise<INestApplicationContext> {
  @Module({ imports: [CacheModule.forRoot({ namespace, l2: { redis: redisUrl() } })], providers })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  try {
    return await moduleRef.init();
  } catch (error) {
    await moduleRef.close();
    throw error;
  }
}

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
