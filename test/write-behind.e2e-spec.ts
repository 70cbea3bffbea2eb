import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheModule, CacheService, WriteBehind, WriteBehindQueue, type CacheModuleOptions } from 'nestjs-tiered-cache';
import { freePort } from './support/redis-server.js';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

interface Product {
  id: number;
  name: string;
}

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Every persisted write, in order, across all instances in this process. */
const persisted: { instance: string; product: Product }[] = [];
let failuresLeft = 0;

@Injectable()
class ProductsWriter {
  static instances = 0;
  readonly name = `instance-${++ProductsWriter.instances}`;

  @WriteBehind({ key: 'product:{0.id}', delay: '300ms', backoff: 20 })
  async save(product: Product): Promise<void> {
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      throw new Error('database unavailable');
    }
    await sleep(20);
    persisted.push({ instance: this.name, product });
  }
}

async function start(namespace: string, writeBehind: Partial<NonNullable<CacheModuleOptions['writeBehind']>> = {}): Promise<INestApplicationContext> {
  @Module({
    imports: [CacheModule.forRoot({ namespace, l2: { redis: redisUrl() }, writeBehind: { redis: redisUrl(), ...writeBehind } })],
    providers: [ProductsWriter],
  })
  class AppModule {}
  return (await Test.createTestingModule({ imports: [AppModule] }).compile()).init();
}

describe('write-behind', () => {
  const apps: INestApplicationContext[] = [];
  beforeEach(() => {
    persisted.length = 0;
    failuresLeft = 0;
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('caches at once, persists later, and persists only the latest of a burst, in order', async () => {
    const app = await start(uniqueNamespace());
    apps.push(app);
    const writer = app.get(ProductsWriter);
    for (let version = 1; version <= 5; version += 1) await writer.save({ id: 7, name: `v${version}` });

    expect(await app.get(CacheService).get('product:7')).toEqual({ id: 7, name: 'v5' });
    expect(persisted).toEqual([]);

    expect(await app.get(WriteBehindQueue).drain(10_000)).toBe(true);
    expect(persisted.at(-1)?.product).toEqual({ id: 7, name: 'v5' });
    expect(persisted.length).toBeLessThanOrEqual(2);
    const versions = persisted.map(({ product }) => Number(product.name.slice(1)));
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
  });

  it('keeps failed writes retryable', async () => {
    const app = await start(uniqueNamespace(), { attempts: 2 });
    apps.push(app);
    const queue = app.get(WriteBehindQueue);
    failuresLeft = 2;
    await app.get(ProductsWriter).save({ id: 1, name: 'flaky' });
    await waitFor(async () => (await queue.stats()).failed === 1, { timeout: 10_000, interval: 50 });
    expect(persisted).toEqual([]);

    await queue.retryFailed();
    expect(await queue.drain(10_000)).toBe(true);
    expect(persisted.map(({ product }) => product)).toEqual([{ id: 1, name: 'flaky' }]);
    expect((await queue.stats()).failed).toBe(0);
  });

  it('runs the writer at once when the queue Redis cannot take the job', async () => {
    const deadQueue = `redis://127.0.0.1:${await freePort()}`;
    const namespace = uniqueNamespace();
    @Module({
      imports: [CacheModule.forRoot({ namespace, l2: { redis: redisUrl() }, writeBehind: { redis: deadQueue } })],
      providers: [ProductsWriter],
    })
    class DeadQueueModule {}
    const app = await (await Test.createTestingModule({ imports: [DeadQueueModule] }).compile()).init();
    apps.push(app);

    await app.get(ProductsWriter).save({ id: 3, name: 'sync' });

    expect(persisted.map(({ product }) => product)).toEqual([{ id: 3, name: 'sync' }]);
    expect(await app.get(CacheService).get('product:3')).toEqual({ id: 3, name: 'sync' });
  });

  it('leaves delayed writes in Redis on a graceful close for the next instance', async () => {
    const namespace = uniqueNamespace();
    const first = await start(namespace, { delay: '2s' });
    await first.get(ProductsWriter).save({ id: 9, name: 'durable' });
    await first.close();
    expect(persisted).toEqual([]);

    const second = await start(namespace);
    apps.push(second);
    expect(await second.get(WriteBehindQueue).drain(10_000)).toBe(true);
    expect(persisted).toEqual([{ instance: second.get(ProductsWriter).name, product: { id: 9, name: 'durable' } }]);
  });

  it('persists pending writes before close resolves with flushOnShutdown', async () => {
    const app = await start(uniqueNamespace(), { delay: '5s', flushOnShutdown: true });
    await app.get(ProductsWriter).save({ id: 4, name: 'flushed' });
    await app.close();
    expect(persisted.map(({ product }) => product)).toEqual([{ id: 4, name: 'flushed' }]);
  });
});
