import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DemoModule } from '../apps/demo/src/app.module.js';
import { PgliteDatabase } from '../apps/demo/src/database/pglite.database.js';
import type { DemoConfig } from '../apps/demo/src/demo.config.js';
import { seedProducts } from '../apps/demo/src/products/seed-products.js';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

/** Cross-instance invalidation travels over pub/sub: other instances see a write within this time. */
const PROPAGATION = { timeout: 5_000 };

let database: PgliteDatabase;
let first: INestApplication;
let second: INestApplication;

async function startInstance(config: DemoConfig): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [DemoModule.forRoot(config, database)] }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  await app.init();
  return app;
}

function cacheHeaders(response: request.Response): Record<string, string> {
  return Object.fromEntries(Object.entries(response.headers).filter(([name]) => name === 'x-cache' || name === 'age' || name === 'cache-control'));
}

const get = (app: INestApplication, path: string) => request(app.getHttpServer()).get(path);

beforeAll(async () => {
  database = new PgliteDatabase();
  await seedProducts(database, 400);
  const config: DemoConfig = { port: 0, redisUrl: redisUrl(), databaseUrl: undefined, namespace: uniqueNamespace('shop-http'), seedCount: 0 };
  first = await startInstance(config);
  second = await startInstance(config);
}, 60_000);

afterAll(async () => {
  await Promise.all([first?.close(), second?.close()]);
  await database?.close();
});

describe('demo: HTTP response caching on two instances', () => {
  it('caches the list with X-Cache, ETag/304 and Cache-Control, shared through Redis', async () => {
    const miss = await get(first, '/products?category=category-3').expect(200);
    expect(miss.headers['x-cache']).toBe('MISS');
    expect(miss.headers['cache-control']).toBe('public, max-age=60, stale-while-revalidate=3600');
    const hit = await get(second, '/products?category=category-3&utm=x').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers.etag).toBe(miss.headers.etag);
    expect(hit.body).toEqual(miss.body);
    const notModified = await get(second, '/products?category=category-3').set('If-None-Match', miss.headers.etag).expect(304);
    expect(notModified.text).toBe('');
  });

  it('drops a cached summary and list on every instance after a PUT (tags product:<id>, category:<category>)', async () => {
    const before = await get(first, '/products/13/summary').expect(200);
    expect(before.body).toEqual({ id: 13, title: 'Product 13 (category-13)', price: expect.any(Number) });
    expect((await get(second, '/products/13/summary').expect(200)).headers['x-cache']).toBe('HIT');
    await get(second, '/products?category=category-7').expect(200);
    await request(first.getHttpServer()).put('/products/13').send({ price: 99.5, category: 'category-7' }).expect(200);
    for (const app of [first, second]) {
      await waitFor(async () => (await get(app, '/products/13/summary')).body.price === 99.5, PROPAGATION);
      const list = await get(app, '/products?category=category-7').expect(200);
      expect((list.body as { id: number }[]).map(({ id }) => id)).toContain(13);
    }
    const summary = await get(second, '/products/13/summary').expect(200);
    expect(summary.body).toEqual({ id: 13, title: 'Product 13 (category-7)', price: 99.5 });
    expect(summary.headers.etag).not.toBe(before.headers.etag);
  });

  it('never serves a request with Authorization from the cache, nor caches its response', async () => {
    const alice = await get(first, '/products/21/summary').set('Authorization', 'Bearer alice').expect(200);
    expect(alice.headers['x-cache']).toBeUndefined();
    expect((await get(first, '/products/21/summary').expect(200)).headers['x-cache']).toBe('MISS');
    const bob = await get(second, '/products/21/summary').set('Authorization', 'Bearer bob').expect(200);
    expect(bob.headers['x-cache']).toBeUndefined();
    expect(cacheHeaders(bob)).toEqual({});
  });

  it('rejects a second spelling of an id or a category, which would be a cache entry no write invalidates', async () => {
    await get(first, '/products/013/summary').expect(400);
    await get(first, '/products?category=%20category-3').expect(400);
  });

  it('exposes GET /health with the cache indicator', async () => {
    const health = await get(first, '/health').expect(200);
    expect(health.body).toMatchObject({ status: 'ok', details: { cache: { status: 'up', l2: 'up' } } });
  });

  it('counts HTTP hits and misses apart in /stats', async () => {
    const stats = await get(second, '/stats').expect(200);
    expect(stats.body.cache.http).toMatchObject({ hits: expect.any(Number), misses: expect.any(Number), bypassed: expect.any(Number) });
    expect(stats.body.cache.http.hits).toBeGreaterThan(0);
  });
});
