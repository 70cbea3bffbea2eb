/**
 * `npm run bench`: the library side by side with bare `lru-cache` and bare `ioredis`, measured in one run,
 * then against its peers (bench/peers/).
 * Async APIs are compared with an awaited baseline (an async call always pays for one Promise).
 */
import 'reflect-metadata';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { Cacheable, CacheModule, CacheService, type CacheModuleOptions } from 'nestjs-tiered-cache';
import { startBenchRedis } from './bench-redis.js';
import { runBatchBench } from './batch-read-through.bench.js';
import { runHttpBench } from './http-cache.bench.js';
import { measureConcurrent, measureInterleaved, measureSequential, report } from './measure.js';
import { runPeersBench } from './peers/peers.bench.js';

const KEYS = 1_000;
const CONCURRENCY = 64;

const product = (id: number): Record<string, unknown> => ({
  id,
  name: `Product ${id}`,
  price: 19.99 + id,
  category: `category-${id % 20}`,
  tags: ['sale', 'new'],
  createdAt: new Date(1_700_000_000_000 + id),
});

const binary = (id: number): Record<string, unknown> => ({ id, bytes: Buffer.alloc(64, id) });

@Injectable()
class ProductsService {
  @Cacheable({ key: 'product:{0}', ttl: '1h' })
  async findOne(id: number): Promise<Record<string, unknown>> {
    return product(id);
  }
}

async function startApp(options: CacheModuleOptions): Promise<INestApplicationContext> {
  @Module({ imports: [CacheModule.forRoot(options)], providers: [ProductsService] })
  class BenchModule {}
  return NestFactory.createApplicationContext(BenchModule, { logger: ['error'] });
}

async function main(): Promise<void> {
  const redis = await startBenchRedis();
  process.stdout.write(`node ${process.version}, ${KEYS} keys, L2 at ${CONCURRENCY} concurrent calls; median of 3 interleaved rounds\n`);

  const lru = new LRUCache<string, object>({ max: 10_000, ttl: 60_000 });
  // NOTE: the same entries as the library's L1 below, so both hit paths walk a cache of the same size.
  for (let id = 0; id < KEYS; id += 1) lru.set(`product:${id}`, product(id));
  for (let id = 0; id < KEYS; id += 1) lru.set(`binary:${id}`, binary(id));

  const tiered = await startApp({ namespace: 'bench', l1: { max: 10_000, ttl: '1h' }, l2: { redis: redis.url } });
  const cache = tiered.get(CacheService);
  const products = tiered.get(ProductsService);
  for (let id = 0; id < KEYS; id += 1) await cache.set(`product:${id}`, product(id), { ttl: '1h' });
  for (let id = 0; id < KEYS; id += 1) await cache.set(`binary:${id}`, binary(id), { ttl: '1h' });

  const [lruSync, lruAwaited, l1Get, l1GetOrSet, l1Decorated, l1Binary] = await measureInterleaved([
    () => measureSequential('bare lru-cache get (sync)', (index) => lru.get(`product:${index % KEYS}`)),
    () => measureSequential('bare lru-cache get (awaited)', async (index) => lru.get(`product:${index % KEYS}`)),
    () => measureSequential('CacheService.get L1 hit', (index) => cache.get(`product:${index % KEYS}`)),
    () => measureSequential('CacheService.getOrSet L1 hit', (index) => cache.getOrSet(`product:${index % KEYS}`, async () => product(index))),
    () => measureSequential('@Cacheable L1 hit', (index) => products.findOne(index % KEYS)),
    () => measureSequential('CacheService.get L1 hit, Buffer value (copied)', (index) => cache.get(`binary:${index % KEYS}`)),
  ]);
  const l1Write = await measureSequential('CacheService.set (L1 + L2)', (index) => cache.set(`write:${index % KEYS}`, product(index)), 1_000);

  const bare = new Redis(redis.url);
  const l2Only = await startApp({ namespace: 'bench', l1: false, bus: false, l2: { redis: redis.url } });
  const l2Cache = l2Only.get(CacheService);
  const raw = await bare.getBuffer('bench:v2:{product:1}');
  for (let id = 0; id < KEYS; id += 1) await bare.set(`bare:${id}`, raw ?? '');
  for (let id = 0; id < KEYS; id += 1) await bare.set(`bare-json:${id}`, JSON.stringify(product(id)));
  const [bareGet, bareJson, l2Get] = await measureInterleaved([
    () => measureConcurrent('bare ioredis GET', (index) => bare.getBuffer(`bare:${index % KEYS}`), CONCURRENCY),
    () =>
      measureConcurrent(
        'bare ioredis GET + JSON.parse',
        async (index) => JSON.parse((await bare.get(`bare-json:${index % KEYS}`)) ?? 'null') as unknown,
        CONCURRENCY,
      ),
    () => measureConcurrent('CacheService.get L2 hit (L1 off)', (index) => l2Cache.get(`product:${index % KEYS}`), CONCURRENCY),
  ]);

  process.stdout.write('\n');
  report(lruSync);
  report(lruAwaited);
  report(l1Get, lruAwaited);
  report(l1GetOrSet, lruAwaited);
  report(l1Decorated, lruAwaited);
  report(l1Get, lruSync);
  report(l1Binary, lruAwaited);
  report(l1Write);
  report(bareGet);
  report(bareJson);
  report(l2Get, bareGet);
  report(l2Get, bareJson);

  bare.disconnect();
  await Promise.all([tiered.close(), l2Only.close()]);
  await runBatchBench(redis.url);
  await runHttpBench(redis.url);
  await runPeersBench(redis.url);
  await redis.stop();
}

void main();
