import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheModule, WriteBehindQueue, type CacheModuleOptions } from 'nestjs-tiered-cache';
import { spawnCacheWorker, type CacheWorker } from './support/cache-worker.client.js';
import { startQueueRedis, type QueueRedis } from './support/queue-redis.js';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';
import { AppendOnlyStore } from './support/write-behind-store.js';
import { SequenceWriter, writerSettings } from './support/write-behind-writer.js';

const WORKERS = 3;
const KEYS = 40;
const DRIVE_MS = 12_000;
const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * The crash run: worker processes are SIGKILLed at random (and replaced) while a driver writes increasing
 * sequence numbers per key; at the end every key holds its last sequence and no persist went backwards.
 */
describe('write-behind crash run', () => {
  let queueRedis: QueueRedis;
  let driver: INestApplicationContext | undefined;
  const workers: CacheWorker[] = [];

  beforeAll(async () => {
    queueRedis = await startQueueRedis();
  });
  afterAll(async () => {
    await driver?.close();
    await Promise.all(workers.splice(0).map((worker) => worker.kill()));
    await queueRedis.stop();
  });

  it('loses no write and never applies an older one while workers are killed at random', async () => {
    const started = Date.now();
    const namespace = uniqueNamespace();
    const store = AppendOnlyStore.create();
    const options: CacheModuleOptions = {
      namespace,
      l2: { redis: redisUrl() },
      writeBehind: { redis: queueRedis.url, delay: '200ms', attempts: 8, concurrency: 4 },
    };
    const spawnWorker = async (): Promise<void> => {
      workers.push(await spawnCacheWorker(options, { script: 'write-behind-worker', args: [JSON.stringify({ file: store.file })] }));
    };
    await Promise.all(Array.from({ length: WORKERS }, spawnWorker));
    Object.assign(writerSettings, { store, fenced: false, persistTime: 0, failWith: undefined });
    @Module({ imports: [CacheModule.forRoot({ ...options, writeBehind: { ...options.writeBehind!, concurrency: 1 } })], providers: [SequenceWriter] })
    class Driver {}
    driver = await (await Test.createTestingModule({ imports: [Driver] }).compile()).init();
    const writer = driver.get(SequenceWriter);

    const acknowledged = new Map<string, number>();
    let calls = 0;
    let kills = 0;
    const until = Date.now() + DRIVE_MS;
    const drive = async (key: string): Promise<void> => {
      for (let seq = 1; Date.now() < until; seq += 1) {
        await writer.save(key, seq);
        acknowledged.set(key, seq);
        calls += 1;
        await sleep(Math.random() * 30);
      }
    };
    const kill = async (): Promise<void> => {
      while (Date.now() < until - 1_000) {
        await sleep(1_000 + Math.random() * 2_000);
        const victim = workers.splice(Math.floor(Math.random() * workers.length), 1)[0];
        await victim?.kill();
        kills += 1;
        await spawnWorker();
      }
    };
    await Promise.all([...Array.from({ length: KEYS }, (_, index) => drive(`k${index}`)), kill()]);

    const drained = await driver.get(WriteBehindQueue).drain(40_000);
    const audit = store.audit(acknowledged);
    const byWorkers = store.calls().filter((call) => call.pid !== process.pid).length;
    console.log(
      `crash run: ${calls} calls over ${KEYS} keys, ${kills} workers SIGKILLed; ${audit.lost.length} lost writes, ` +
        `${audit.backwards} backwards persists, ${audit.applied} persists (${(calls / audit.applied).toFixed(1)} calls per persist, ${byWorkers} by the worker processes); ` +
        `${((Date.now() - started) / 1_000).toFixed(1)}s`,
    );
    expect(drained).toBe(true);
    expect(audit.lost).toEqual([]);
    expect(audit.backwards).toBe(0);
    expect(kills).toBeGreaterThan(0);
  }, 90_000);
});
