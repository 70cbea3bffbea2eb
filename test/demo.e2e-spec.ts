import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DemoModule } from '../apps/demo/src/app.module.js';
import type { Database } from '../apps/demo/src/database/database.interface.js';
import { PgliteDatabase } from '../apps/demo/src/database/pglite.database.js';
import type { DemoConfig } from '../apps/demo/src/demo.config.js';
import { seedProducts } from '../apps/demo/src/products/seed-products.js';
import { freePort } from './support/redis-server.js';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

interface ProductBody {
  id: number;
  name: string;
  category: string;
  price: number;
}

/** Cross-instance L1 invalidation travels over pub/sub: other instances see a write within this time. */
const PROPAGATION = { timeout: 2_000 };

async function startInstance(config: DemoConfig, database?: Database): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [DemoModule.forRoot(config, database)] }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  await app.init();
  return app;
}

async function queries(app: INestApplication): Promise<number> {
  const response = await request(app.getHttpServer()).get('/stats').expect(200);
  return (response.body as { queries: number }).queries;
}

async function product(app: INestApplication, id: number): Promise<request.Response> {
  return request(app.getHttpServer()).get(`/products/${id}`);
}

async function listOf(app: INestApplication, category: string): Promise<ProductBody[]> {
  const response = await request(app.getHttpServer()).get('/products').query({ category }).expect(200);
  return response.body as ProductBody[];
}

function expectJsonError(response: request.Response, status: number): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/application\/json/);
  expect(response.body).toMatchObject({ statusCode: status, message: expect.any(String) });
}

// One PGlite for the file (it takes seconds to start): the two catalogue instances share it like two
// processes share a PostgreSQL server.
let database: PgliteDatabase;

beforeAll(async () => {
  database = new PgliteDatabase();
  expect(await seedProducts(database, 10_000)).toBe(10_000);
}, 60_000);

afterAll(async () => {
  await database?.close();
});

describe('demo catalogue, two instances on one Redis and one database', () => {
  let config: DemoConfig;
  let first: INestApplication;
  let second: INestApplication;

  beforeAll(async () => {
    config = { port: 0, redisUrl: redisUrl(), databaseUrl: undefined, namespace: uniqueNamespace('shop'), seedCount: 0 };
    first = await startInstance(config, database);
    second = await startInstance(config, database);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
  });

  it('serves the second GET of a product without a database query, on either instance', async () => {
    const initial = await product(first, 13);
    expect(initial.status).toBe(200);
    expect(initial.body).toMatchObject({ id: 13, name: 'Product 13', category: 'category-13' });
    const before = await queries(first);
    const again = await product(first, 13);
    expect(again.body).toEqual(initial.body);
    expect(await queries(first)).toBe(before);
    const fromSecond = await product(second, 13);
    expect(fromSecond.body).toEqual(initial.body);
    expect(await queries(second)).toBe(0);
  });

  it('returns the new data from both instances after a PUT, without reloading it', async () => {
    for (const app of [first, second]) expect((await product(app, 21)).body.name).toBe('Product 21');
    const [firstBefore, secondBefore] = [await queries(first), await queries(second)];
    const updated = await request(first.getHttpServer()).put('/products/21').send({ name: 'Desk lamp', price: 42.5 }).expect(200);
    expect(updated.body).toMatchObject({ id: 21, name: 'Desk lamp', price: 42.5, category: 'category-1' });
    for (const app of [first, second]) {
      await waitFor(async () => (await product(app, 21)).body.name === 'Desk lamp', PROPAGATION);
      expect((await product(app, 21)).body).toEqual(updated.body);
    }
    // Write-through: the UPDATE is the only query; neither instance reloads the product.
    expect(await queries(first)).toBe(firstBefore + 1);
    expect(await queries(second)).toBe(secondBefore);
  });

  it('after a PUT that changes the category, refreshes the product and both lists everywhere, and nothing else', async () => {
    const apps = [first, second];
    const priceIn = (list: ProductBody[], id: number): number | undefined => list.find((p) => p.id === id)?.price;
    for (const app of apps) {
      expect((await product(app, 5)).body).toMatchObject({ id: 5, category: 'category-5', price: 2.85 });
      expect(priceIn(await listOf(app, 'category-5'), 5)).toBe(2.85);
      expect((await listOf(app, 'category-6'))[0].id).toBe(6);
      expect((await product(app, 42)).status).toBe(200);
      expect((await listOf(app, 'category-7')).length).toBe(100);
    }
    const before = (await queries(first)) + (await queries(second));

    await request(first.getHttpServer()).put('/products/5').send({ category: 'category-6', price: 7.25 }).expect(200);

    for (const app of apps) {
      await waitFor(async () => (await product(app, 5)).body.category === 'category-6', PROPAGATION);
      await waitFor(async () => priceIn(await listOf(app, 'category-6'), 5) === 7.25, PROPAGATION);
      await waitFor(async () => priceIn(await listOf(app, 'category-5'), 5) === undefined, PROPAGATION);
      expect((await product(app, 5)).body).toMatchObject({ id: 5, category: 'category-6', price: 7.25 });
    }
    // The UPDATE, then one load of each of the two lists across both instances; the product is written through.
    expect((await queries(first)) + (await queries(second))).toBe(before + 3);
    for (const app of apps) {
      expect((await product(app, 42)).body).toMatchObject({ id: 42, name: 'Product 42' });
      expect((await listOf(app, 'category-7'))[0].id).toBe(7);
    }
    expect((await queries(first)) + (await queries(second))).toBe(before + 3);
  });

  it('answers 404 on both instances after a DELETE, and 404 to a second DELETE', async () => {
    for (const app of [first, second]) {
      expect((await product(app, 99)).status).toBe(200);
      expect((await listOf(app, 'category-19')).some((p) => p.id === 99)).toBe(true);
      expect((await product(app, 43)).status).toBe(200);
    }
    await request(first.getHttpServer()).delete('/products/99').expect(204);
    for (const app of [first, second]) {
      await waitFor(async () => (await product(app, 99)).status === 404, PROPAGATION);
      expectJsonError(await product(app, 99), 404);
      await waitFor(async () => !(await listOf(app, 'category-19')).some((p) => p.id === 99), PROPAGATION);
    }
    const before = (await queries(first)) + (await queries(second));
    for (const app of [first, second]) expect((await product(app, 43)).body).toMatchObject({ id: 43, name: 'Product 43' });
    expect((await queries(first)) + (await queries(second))).toBe(before);
    expectJsonError(await request(second.getHttpServer()).delete('/products/99'), 404);
    expectJsonError(await request(second.getHttpServer()).put('/products/99').send({ price: 1 }), 404);
  });

  it('rejects bad ids with JSON errors, caches no error, and keeps serving', async () => {
    const server = first.getHttpServer();
    const before = await queries(first);
    for (const id of ['abc', '0', '-1', '1.5', '1e3', '99999999999', '%20']) {
      expectJsonError(await request(server).get(`/products/${id}`), 400);
      expectJsonError(await request(server).delete(`/products/${id}`), 400);
    }
    expect(await queries(first)).toBe(before);
    expectJsonError(await product(first, 123_456), 404);
    expectJsonError(await product(first, 123_456), 404);
    expect(await queries(first)).toBe(before + 2);
    expect((await product(first, 13)).body).toMatchObject({ id: 13, name: 'Product 13' });
  });

  it('rejects invalid PUT bodies and category queries with JSON 400s, changing nothing', async () => {
    const server = first.getHttpServer();
    const bodies: unknown[] = [{ price: -3 }, { price: '5' }, { name: '' }, { name: '   ' }, { name: 7 }, { colour: 'red' }, {}, [1]];
    for (const body of bodies) expectJsonError(await request(server).put('/products/13').send(body as object), 400);
    expectJsonError(await request(server).put('/products/13').set('content-type', 'application/json').send('{"name":'), 400);
    expectJsonError(await request(server).get('/products'), 400);
    expectJsonError(await request(server).get('/products').query({ category: '  ' }), 400);
    expectJsonError(await request(server).get('/products').query({ category: 'x'.repeat(201) }), 400);
    expect((await product(second, 13)).body).toMatchObject({ id: 13, name: 'Product 13', price: 5.81 });
    expect(await listOf(first, 'no-such-category')).toEqual([]);
  });

  it('reports database queries and cache counters on /stats', async () => {
    const response = await request(first.getHttpServer()).get('/stats').expect(200);
    expect(response.body).toMatchObject({
      queries: expect.any(Number),
      cache: { hits: { l1: expect.any(Number), l2: expect.any(Number) }, misses: { l1: expect.any(Number), l2: expect.any(Number) } },
    });
    expect(response.body.queries).toBeGreaterThan(0);
    expect(response.body.cache.hits.l1).toBeGreaterThan(0);
    expect(response.body.cache.misses.l1).toBeGreaterThan(0);
  });

  it('drops what Redis cached from older data when an instance seeds a fresh database', async () => {
    await request(first.getHttpServer()).put('/products/33').send({ name: 'Edited before a restart' }).expect(200);
    // A fresh start: its own PGlite, seeded again, on the same Redis namespace.
    const restarted = await startInstance({ ...config, seedCount: 100 });
    try {
      expect((await product(restarted, 33)).body).toMatchObject({ id: 33, name: 'Product 33' });
      expect(await queries(restarted)).toBe(1);
    } finally {
      await restarted.close();
    }
  }, 30_000);
});

describe('demo without Redis', () => {
  it('starts and serves from L1 and the database', async () => {
    const config: DemoConfig = {
      port: 0,
      redisUrl: `redis://127.0.0.1:${await freePort()}`,
      databaseUrl: undefined,
      namespace: uniqueNamespace('shop'),
      seedCount: 0,
    };
    const app = await startInstance(config, database);
    try {
      expect((await product(app, 7)).body).toMatchObject({ id: 7, name: 'Product 7' });
      expect((await product(app, 7)).status).toBe(200);
      expect(await queries(app)).toBe(1);
      await request(app.getHttpServer()).put('/products/7').send({ price: 3 }).expect(200);
      expect((await product(app, 7)).body).toMatchObject({ id: 7, price: 3 });
      expectJsonError(await product(app, 0), 400);
    } finally {
      await app.close();
    }
  }, 30_000);
});
