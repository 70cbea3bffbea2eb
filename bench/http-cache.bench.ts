/**
 * HTTP case of `npm run bench`: one handler on Express, uncached, behind @nestjs/cache-manager's
 * `CacheInterceptor` (in-memory store) and behind our `HttpCacheInterceptor` (L1 + Redis), hit by
 * 32 keep-alive connections over loopback (undici). Client and servers share this process, so the
 * numbers compare the three alike rather than give the machine's ceiling.
 */
import { CacheInterceptor as TheirInterceptor, CacheModule as TheirCacheModule } from '@nestjs/cache-manager';
import { Controller, Get, Module, Param, UseInterceptors, type INestApplication, type ModuleMetadata, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CacheModule, HttpCacheInterceptor } from 'nestjs-tiered-cache';
import { Pool } from 'undici';
import { measureConcurrent, measureInterleaved, report } from './measure.js';

const CONNECTIONS = 32;
const KEYS = 1_000;
// NOTE: more rounds than the in-process cases: HTTP throughput moves more with other load on the machine.
const ROUNDS = 5;

const product = (id: string): Record<string, unknown> => ({
  id,
  name: `Product ${id}`,
  price: 19.99,
  category: 'category-1',
  tags: ['sale', 'new'],
  description: 'A product of the catalogue, described in a sentence or two so the body is not trivially small.',
});

@Controller('products')
class UncachedController {
  @Get(':id')
  findOne(@Param('id') id: string): Record<string, unknown> {
    return product(id);
  }
}

@Controller('products')
@UseInterceptors(TheirInterceptor)
class TheirController extends UncachedController {}

@Controller('products')
@UseInterceptors(HttpCacheInterceptor)
class OurController extends UncachedController {}

async function start(imports: ModuleMetadata['imports'], controller: Type): Promise<{ app: INestApplication; pool: Pool }> {
  @Module({ imports, controllers: [controller] })
  class HttpBenchModule {}
  const app = await NestFactory.create(HttpBenchModule, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const pool = new Pool(await app.getUrl(), { connections: CONNECTIONS, pipelining: 1 });
  return { app, pool };
}

async function get(pool: Pool, index: number): Promise<void> {
  const { statusCode, body } = await pool.request({ method: 'GET', path: `/products/${index % KEYS}` });
  await body.dump();
  if (statusCode !== 200) throw new Error(`GET /products/${index % KEYS}: ${statusCode}`);
}

/** Measures and prints the HTTP case; `redisUrl` is the benchmark's throwaway Redis. */
export async function runHttpBench(redisUrl: string): Promise<void> {
  const servers = [
    await start([], UncachedController),
    await start([TheirCacheModule.register({ ttl: 3_600_000 })], TheirController),
    await start([CacheModule.forRoot({ namespace: 'bench-http', l1: { max: 10_000, ttl: '1h' }, l2: { redis: redisUrl }, defaultTtl: '1h' })], OurController),
  ];
  for (const { pool } of servers) for (let index = 0; index < KEYS; index += 1) await get(pool, index);
  const names = ['HTTP GET uncached (Express)', 'HTTP GET hit, @nestjs/cache-manager', 'HTTP GET hit, HttpCacheInterceptor'];
  const [uncached, theirs, ours] = await measureInterleaved(
    servers.map(({ pool }, index) => () => measureConcurrent(names[index], (call) => get(pool, call), CONNECTIONS)),
    ROUNDS,
  );
  process.stdout.write(`\nHTTP: ${CONNECTIONS} keep-alive connections over loopback, ${KEYS} URLs, all hits after a warm-up; median of ${ROUNDS} interleaved rounds\n`);
  report(uncached);
  report(theirs, uncached);
  report(ours, uncached);
  report(ours, theirs);
  for (const { app, pool } of servers) {
    await pool.close();
    await app.close();
  }
}
