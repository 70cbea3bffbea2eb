/**
 * Batch case of `npm run bench`: one request for 100 keys, 90 cached and 10 missing (new ones each
 * time), through `getManyOrSet` and through 100 concurrent single `getOrSet` calls; with L1 off (every
 * key from Redis) and on (the 90 cached keys in L1). One caller at a time: latency of one request.
 */
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CacheModule, CacheService, type CacheModuleOptions } from 'nestjs-tiered-cache';
import { measureConcurrent, measureInterleaved, report } from './measure.js';

const KEYS = 100;
const CACHED = 90;

const product = (key: string): Record<string, unknown> => ({ key, name: `Product ${key}`, price: 19.99, tags: ['sale', 'new'] });

async function startApp(options: CacheModuleOptions): Promise<INestApplicationContext> {
  @Module({ imports: [CacheModule.forRoot(options)] })
  class BatchBenchModule {}
  return NestFactory.createApplicationContext(BatchBenchModule, { logger: ['error'] });
}

let requests = 0;

/** The keys of one request: the same 90 cached ones, then 10 never requested before. */
function requestKeys(): string[] {
  requests += 1;
  const keys = Array.from({ length: CACHED }, (_, offset) => `warm:${offset}`);
  for (let offset = CACHED; offset < KEYS; offset += 1) keys.push(`cold:${requests}:${offset}`);
  return keys;
}

async function measureCases(cache: CacheService, tier: string): Promise<void> {
  const [batch, singles] = await measureInterleaved([
    () => measureConcurrent(`getManyOrSet 100 keys (90 cached, ${tier})`, () => cache.getManyOrSet(requestKeys(), async (keys) => keys.map(product)), 1),
    () =>
      measureConcurrent(
        `100 × getOrSet (90 cached, ${tier})`,
        () => Promise.all(requestKeys().map((key) => cache.getOrSet(key, async () => product(key)))),
        1,
      ),
  ]);
  report(singles);
  report(batch, singles);
}

export async function runBatchBench(redisUrl: string): Promise<void> {
  process.stdout.write('\n');
  const l2Only = await startApp({ namespace: 'bench-batch', l1: false, bus: false, l2: { redis: redisUrl } });
  const withL1 = await startApp({ namespace: 'bench-batch', l1: { max: 100_000, ttl: '1h' }, bus: false, l2: { redis: redisUrl } });
  const l2Cache = l2Only.get(CacheService);
  const cached = requestKeys().slice(0, CACHED);
  await l2Cache.setMany(cached.map((key) => ({ key, value: product(key), ttl: '1h' })));
  await withL1.get(CacheService).getMany(cached);
  await measureCases(l2Cache, 'L1 off');
  await measureCases(withL1.get(CacheService), '90 in L1');
  await Promise.all([l2Only.close(), withL1.close()]);
}
