import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheModule, WriteBehindQueue, type CacheModuleOptions } from 'nestjs-tiered-cache';
import { spawnCacheWorker, type CacheWorker } from './support/cache-worker.client.js';
import { startQueueRedis, type QueueRedis } from './support/queue-redis.js';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';
import { AppendOnlyStore } from './support/write-behind-store.js';
import { SequenceWriter, writerSettings } from './support/write-behind-writer.js';

const KEYS = Array.from({ length: 20 }, (_, index) => `k${index}`);

/**
 * Case 2 of issue 8: the queue Redis goes down (AOF keeps its data) after sequence 1 of every key was
 * queued; the caller writes sequence 2, which runs at once; then the queue Redis comes back.
 */
describe('write-behind through a queue Redis outage', () => {
  let queueRedis: QueueRedis;
  let store: AppendOnlyStore;
  const apps: INestApplicationContext[] = [];
  const callers: CacheWorker[] = [];

  beforeEach(async () => {
    queueRedis = await startQueueRedis();
    store = AppendOnlyStore.create();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await Promise.all(callers.splice(0).map((caller) => caller.kill()));
    await queueRedis.stop();
  });

  const options = (namespace: string): CacheModuleOptions => ({
    namespace,
    l2: { redis: redisUrl() },
    writeBehind: { redis: queueRedis.url, delay: '3s', enqueueTimeout: '300ms' },
  });

  async function spawnCaller(namespace: string, fenced: boolean): Promise<CacheWorker> {
    const caller = await spawnCacheWorker(options(namespace), { script: 'write-behind-worker', args: [JSON.stringify({ file: store.file, fenced })] });
    callers.push(caller);
    return caller;
  }

  async function writeThroughOutage(caller: CacheWorker): Promise<void> {
    for (const key of KEYS) await caller.call('save', key, 1);
    await queueRedis.stop();
    for (const key of KEYS) await caller.call('save', key, 2);
    expect(store.audit(new Map(KEYS.map((key) => [key, 2])))).toMatchObject({ lost: [], backwards: 0 });
  }

  it('a caller that lives through the outage fences the older queued writes once the queue Redis is back', async () => {
    const caller = await spawnCaller(uniqueNamespace(), false);
    await writeThroughOutage(caller);

    await queueRedis.restart();
    expect(await caller.call('drain', 20_000)).toBe(true);
    const audit = store.audit(new Map(KEYS.map((key) => [key, 2])));
    console.log(`case 2 (caller lives): ${audit.lost.length} lost, ${audit.backwards} backwards of ${audit.applied} persists`);
    expect(audit).toMatchObject({ lost: [], backwards: 0 });
  }, 60_000);

  it('a caller that dies during the outage: a store checking writeBehindSequence() refuses the older writes the queue still holds', async () => {
    const namespace = uniqueNamespace();
    const caller = await spawnCaller(namespace, true);
    await writeThroughOutage(caller);
    await caller.kill();

    await queueRedis.restart();
    Object.assign(writerSettings, { store, fenced: true, persistTime: 0, failWith: undefined });
    @Module({ imports: [CacheModule.forRoot(options(namespace))], providers: [SequenceWriter] })
    class NextInstance {}
    const next = await (await Test.createTestingModule({ imports: [NextInstance] }).compile()).init();
    apps.push(next);
    expect(await next.get(WriteBehindQueue).drain(20_000)).toBe(true);

    const audit = store.audit(new Map(KEYS.map((key) => [key, 2])));
    console.log(
      `case 2 (caller killed): ${audit.lost.length} lost, ${audit.backwards} backwards; the queue still offered ${audit.refused} older writes, refused by the store's sequence check`,
    );
    expect(audit).toMatchObject({ lost: [], backwards: 0 });
  }, 60_000);
});
