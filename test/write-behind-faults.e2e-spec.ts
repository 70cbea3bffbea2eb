import { Injectable, Module, type INestApplicationContext, type OnApplicationShutdown, type OnModuleDestroy, type Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheMetricsModule, CacheModule, CacheService, WriteBehindQueue, type CacheModuleOptions } from 'nestjs-tiered-cache';
import { register } from 'prom-client';
import { resolveCacheOptions } from '../libs/cache/src/options/cache-options.validator.js';
import { captureWarnings } from './support/captured-warnings.js';
import { startQueueRedis, type QueueRedis } from './support/queue-redis.js';
import { StallingRedis } from './support/stalling-redis.js';
import { redisUrl, uniqueNamespace, waitFor, within } from './support/test-redis.js';
import { AppendOnlyStore } from './support/write-behind-store.js';
import { SequenceWriter, writerSettings } from './support/write-behind-writer.js';

type WriteBehindSettings = Partial<NonNullable<CacheModuleOptions['writeBehind']>>;

const KEYS = Array.from({ length: 20 }, (_, index) => `k${index}`);

/** Closes the "database" the writer uses: the normal NestJS pattern for a pool, here in onModuleDestroy. */
@Injectable()
class PoolClosedOnModuleDestroy implements OnModuleDestroy {
  onModuleDestroy(): void {
    writerSettings.failWith = 'the pool is closed';
  }
}

@Injectable()
class PoolClosedOnApplicationShutdown implements OnApplicationShutdown {
  onApplicationShutdown(): void {
    writerSettings.failWith = 'the pool is closed';
  }
}

async function start(namespace: string, queueUrl: string | StallingRedis, writeBehind: WriteBehindSettings = {}, providers: Provider[] = []): Promise<INestApplicationContext> {
  @Module({
    imports: [CacheModule.forRoot({ namespace, l2: { redis: redisUrl() }, writeBehind: { redis: queueUrl, ...writeBehind } }), CacheMetricsModule],
    providers: [SequenceWriter, ...providers],
  })
  class AppModule {}
  return (await Test.createTestingModule({ imports: [AppModule] }).compile()).init();
}

function metric(text: string, name: string, namespace: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{namespace="${namespace}"}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('write-behind under queue faults', () => {
  let queueRedis: QueueRedis;
  let store: AppendOnlyStore;
  const apps: INestApplicationContext[] = [];

  beforeAll(async () => {
    queueRedis = await startQueueRedis();
  });
  beforeEach(() => {
    store = AppendOnlyStore.create();
    Object.assign(writerSettings, { store, fenced: false, persistTime: 0, failWith: undefined, mostAtOnce: 0 });
    writerSettings.running.clear();
  });
  afterEach(async () => {
    queueRedis.resume();
    await queueRedis.command('CONFIG', 'SET', 'maxmemory', 0).catch(() => undefined);
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(() => queueRedis.stop());

  it('1. queue refuses the job (out of memory): the fallback fences the older queued write, which is never applied after it', async () => {
    const namespace = uniqueNamespace();
    const app = await start(namespace, queueRedis.url, { delay: '1s' });
    apps.push(app);
    const writer = app.get(SequenceWriter);
    for (const key of KEYS) await writer.save(key, 1);

    await queueRedis.command('CONFIG', 'SET', 'maxmemory', 1);
    for (const key of KEYS) await writer.save(key, 2);
    expect(store.audit(new Map(KEYS.map((key) => [key, 2])))).toMatchObject({ lost: [], backwards: 0 });
    await queueRedis.command('CONFIG', 'SET', 'maxmemory', 0);

    const queue = app.get(WriteBehindQueue);
    expect(await queue.drain(15_000)).toBe(true);
    const audit = store.audit(new Map(KEYS.map((key) => [key, 2])));
    console.log(`case 1 (queue out of memory): ${audit.lost.length} lost, ${audit.backwards} backwards of ${audit.applied} persists`);
    expect(audit).toMatchObject({ lost: [], backwards: 0 });
    expect(await app.get(CacheService).get('seq:k3')).toBe(2);
    expect((await queue.stats()).fallbacks).toBe(KEYS.length);
    expect(metric(await register.metrics(), 'cache_write_behind_fallbacks_total', namespace)).toBe(KEYS.length);
  });

  it('1. a write the queue refuses while its key is being persisted is handed to that persist: never two at once, the newer last', async () => {
    const app = await start(uniqueNamespace(), queueRedis.url, { delay: 0 });
    apps.push(app);
    const writer = app.get(SequenceWriter);
    writerSettings.persistTime = 800;
    await writer.save('busy', 1);
    await waitFor(() => writerSettings.running.get('busy') === 1, { timeout: 10_000 });

    await queueRedis.command('CONFIG', 'SET', 'maxmemory', 1);
    await writer.save('busy', 2);
    await queueRedis.command('CONFIG', 'SET', 'maxmemory', 0);

    expect(await app.get(WriteBehindQueue).drain(15_000)).toBe(true);
    expect(store.calls().map((call) => call.seq)).toEqual([1, 2]);
    expect(writerSettings.mostAtOnce).toBe(1);
  });

  it('3. retryFailed() retries one job per key with its latest arguments, never two persists of a key at once', async () => {
    const app = await start(uniqueNamespace(), queueRedis.url, { delay: 0, attempts: 1 });
    apps.push(app);
    const queue = app.get(WriteBehindQueue);
    writerSettings.failWith = 'database unavailable';
    for (let seq = 1; seq <= 3; seq += 1) {
      for (const key of KEYS.slice(0, 5)) await app.get(SequenceWriter).save(key, seq);
      await waitFor(async () => (await queue.stats()).failed === 5 * seq, { timeout: 10_000, interval: 50 });
    }

    writerSettings.failWith = undefined;
    writerSettings.persistTime = 200;
    const retried = await queue.retryFailed();
    expect(await queue.drain(15_000)).toBe(true);

    const audit = store.audit(new Map(KEYS.slice(0, 5).map((key) => [key, 3])));
    console.log(`case 3: ${audit.applied} persists for 5 keys, at most ${writerSettings.mostAtOnce} of one key at once`);
    expect(audit).toMatchObject({ lost: [], backwards: 0, applied: 5 });
    expect(writerSettings.mostAtOnce).toBe(1);
    expect((await queue.stats()).failed).toBe(0);
    expect(retried).toBe(5);
  });

  it('4. a flush after the app closed its pool in onModuleDestroy uses up no attempt; the next instance persists everything', async () => {
    const namespace = uniqueNamespace();
    const first = await start(namespace, queueRedis.url, { delay: '5s', attempts: 2, flushOnShutdown: true }, [PoolClosedOnModuleDestroy]);
    for (const key of KEYS) await first.get(SequenceWriter).save(key, 1);
    const started = Date.now();
    await within(20, 'app.close()', first.close());
    console.log(`case 4: close with a closed pool took ${Date.now() - started}ms; ${store.calls().length} persisted before close`);

    writerSettings.failWith = undefined;
    const second = await start(namespace, queueRedis.url);
    apps.push(second);
    const queue = second.get(WriteBehindQueue);
    expect(await queue.drain(20_000)).toBe(true);
    expect(store.audit(new Map(KEYS.map((key) => [key, 1])))).toMatchObject({ lost: [], backwards: 0 });
    expect((await queue.stats()).failed).toBe(0);
  });

  it('4. the flush runs while providers that close in onApplicationShutdown are alive: close persists everything', async () => {
    const app = await start(uniqueNamespace(), queueRedis.url, { delay: '5s', flushOnShutdown: true }, [PoolClosedOnApplicationShutdown]);
    for (const key of KEYS) await app.get(SequenceWriter).save(key, 1);
    await within(40, 'app.close()', app.close());
    expect(store.audit(new Map(KEYS.map((key) => [key, 1])))).toMatchObject({ lost: [], backwards: 0, applied: KEYS.length });
  });

  it('5. drain, stats, retryFailed and close honour their deadlines while the queue Redis is stopped; the writes stay for the next instance', async () => {
    const namespace = uniqueNamespace();
    const app = await start(namespace, queueRedis.url, { delay: '5s', flushOnShutdown: true, enqueueTimeout: '300ms' });
    for (const key of KEYS) await app.get(SequenceWriter).save(key, 1);
    const queue = app.get(WriteBehindQueue);
    queueRedis.pause();

    const timed = async <T>(work: Promise<T>): Promise<[T | Error, number]> => {
      const started = Date.now();
      const result = await work.catch((error: Error) => error);
      return [result, Date.now() - started];
    };
    const [drained, drainTime] = await within(10, 'drain(1000)', timed(queue.drain(1_000)));
    expect(drained).toBe(false);
    const [stats, statsTime] = await within(10, 'stats()', timed(queue.stats()));
    expect(stats).toBeInstanceOf(Error);
    const [retried, retryTime] = await within(20, 'retryFailed()', timed(queue.retryFailed()));
    expect(retried).toBeInstanceOf(Error);
    const [, closeTime] = await within(30, 'app.close()', timed(app.close()));
    console.log(`case 5 (queue Redis stopped): drain ${drainTime}ms, stats ${statsTime}ms, retryFailed ${retryTime}ms, close ${closeTime}ms`);

    queueRedis.resume();
    const next = await start(namespace, queueRedis.url);
    apps.push(next);
    expect(await next.get(WriteBehindQueue).drain(20_000)).toBe(true);
    expect(store.audit(new Map(KEYS.map((key) => [key, 1])))).toMatchObject({ lost: [], backwards: 0 });
  });

  it('6. once the queue is known down, calls fall back at once until it answers again; older queued writes stay fenced', async () => {
    const enqueueTimeout = 2_000;
    const app = await start(uniqueNamespace(), queueRedis.url, { delay: '2s', enqueueTimeout });
    apps.push(app);
    const writer = app.get(SequenceWriter);
    for (const key of KEYS) await writer.save(key, 1);
    queueRedis.pause();

    const started = Date.now();
    await writer.save(KEYS[0], 2);
    const first = Date.now() - started;
    for (const key of KEYS.slice(1)) await writer.save(key, 2);
    const rest = Date.now() - started - first;
    console.log(`case 6 (queue Redis stopped, enqueueTimeout ${enqueueTimeout}ms): first call ${first}ms, next ${KEYS.length - 1} calls ${rest}ms`);
    expect(rest).toBeLessThan(enqueueTimeout);
    expect(store.audit(new Map(KEYS.map((key) => [key, 2])))).toMatchObject({ lost: [], backwards: 0 });

    queueRedis.resume();
    const queue = app.get(WriteBehindQueue);
    let probe = 0;
    await waitFor(
      async () => {
        const before = (await queue.stats()).fallbacks;
        await writer.save('probe', (probe += 1));
        return (await queue.stats()).fallbacks === before;
      },
      { timeout: 15_000, interval: 200 },
    );
    expect(await queue.drain(15_000)).toBe(true);
    const fallbacks = (await queue.stats()).fallbacks;
    for (const key of KEYS) await writer.save(key, 3);
    expect((await queue.stats()).fallbacks).toBe(fallbacks);
    expect(await queue.drain(15_000)).toBe(true);
    expect(store.audit(new Map(KEYS.map((key) => [key, 3])))).toMatchObject({ lost: [], backwards: 0 });
  });

  it('7. a worker whose blocking connection hangs for good is replaced: the queued writes persist within 60 s', async () => {
    const connection = new StallingRedis(queueRedis.url, { maxRetriesPerRequest: null });
    const app = await start(uniqueNamespace(), connection, { delay: '200ms' });
    apps.push(app);
    const writer = app.get(SequenceWriter);
    const queue = app.get(WriteBehindQueue);
    await writer.save(KEYS[0], 1);
    expect(await queue.drain(15_000)).toBe(true);

    const logged = captureWarnings();
    connection.stallDuplicates();
    const stalled = Date.now();
    for (const key of KEYS) await writer.save(key, 2);
    const acknowledged = new Map(KEYS.map((key) => [key, 2]));
    await waitFor(async () => store.audit(acknowledged).lost.length === 0, { timeout: 60_000, interval: 500 });
    console.log(`case 7 (worker's blocking connection hangs): every write persisted ${Date.now() - stalled}ms after the hang`);
    expect(await queue.drain(15_000)).toBe(true);
    expect(store.audit(acknowledged)).toMatchObject({ lost: [], backwards: 0 });
    logged.restore();
    expect(logged.warnings.filter((warning) => /started no job for \d+s while jobs were due; replacing it/.test(warning))).toHaveLength(1);
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    connection.disconnect();
  }, 90_000);

  it('6. writeBehind.enqueueTimeout is validated', () => {
    const options = (enqueueTimeout: unknown): CacheModuleOptions =>
      ({ namespace: 'n', writeBehind: { redis: 'redis://127.0.0.1:6379', enqueueTimeout } }) as CacheModuleOptions;
    expect(resolveCacheOptions(options('250ms')).writeBehind?.enqueueTimeout).toBe(250);
    expect(resolveCacheOptions({ namespace: 'n', writeBehind: { redis: 'redis://127.0.0.1:6379' } }).writeBehind?.enqueueTimeout).toBe(1_000);
    expect(() => resolveCacheOptions(options(0))).toThrow(/writeBehind\.enqueueTimeout/);
    expect(() => resolveCacheOptions(options('soon'))).toThrow(/writeBehind\.enqueueTimeout/);
  });
});
