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

interface Stats {
  queries: number;
}

async function startInstance(config: DemoConfig, database: Database): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [DemoModule.forRoot(config, database)] }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  await app.init();
  return app;
}

async function queries(app: INestApplication): Promise<number> {
  const response = await request(app.getHttpServer()).get('/stats').expect(200);
  return (response.body as Stats).queries;
}

describe('demo catalogue', () => {
  let database: PgliteDatabase;
  let first: INestApplication;
  let second: INestApplication;

  beforeAll(async () => {
    database = new PgliteDatabase();
    await seedProducts(database, 10_000);
    const config: DemoConfig = { port: 0, redisUrl: redisUrl(), databaseUrl: undefined, namespace: uniqueNamespace('shop'), seedCount: 0 };
    first = await startInstance(config, database);
    second = await startInstance(config, database);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
    await database?.close();
  });

  it('serves the second GET of a product without a database query', async () => {
    const initial = await request(first.getHttpServer()).get('/products/13').expect(200);
    expect(initial.body).toMatchObject({ id: 13, name: 'Product 13', category: 'category-13' });
    const before = await queries(first);
    const again = await request(first.getHttpServer()).get('/products/13').expect(200);
    expect(again.body).toEqual(initial.body);
    expect(await queries(first)).toBe(before);
    const fromSecond = await request(second.getHttpServer()).get('/products/13').expect(200);
    expect(fromSecond.body).toEqual(initial.body);
    expect(await queries(second)).toBe(0);
  });

  it('returns the new data from every instance after a PUT', async () => {
    for (const app of [first, second]) await request(app.getHttpServer()).get('/products/21').expect(200);
    await request(first.getHttpServer()).put('/products/21').send({ name: 'Desk lamp', price: 42.5 }).expect(200);
    for (const app of [first, second]) {
      await waitFor(async () => (await request(app.getHttpServer()).get('/products/21')).body.name === 'Desk lamp', { timeout: 2_000 });
      const response = await request(app.getHttpServer()).get('/products/21').expect(200);
      expect(response.body).toMatchObject({ id: 21, name: 'Desk lamp', price: 42.5 });
    }
  });

  it('refreshes the category lists on every instance after an update', async () => {
    const listOf = async (app: INestApplication): Promise<{ id: number; name: string }[]> =>
      (await request(app.getHttpServer()).get('/products').query({ category: 'category-5' }).expect(200)).body;
    for (const app of [first, second]) expect((await listOf(app)).find((product) => product.id === 5)?.name).toBe('Product 5');
    await request(second.getHttpServer()).put('/products/5').send({ name: 'Renamed' }).expect(200);
    for (const app of [first, second]) {
      await waitFor(async () => (await listOf(app)).find((product) => product.id === 5)?.name === 'Renamed', { timeout: 2_000 });
    }
  });

  it('answers 404 on every instance after a DELETE', async () => {
    for (const app of [first, second]) await request(app.getHttpServer()).get('/products/99').expect(200);
    await request(first.getHttpServer()).delete('/products/99').expect(204);
    for (const app of [first, second]) {
      await waitFor(async () => (await request(app.getHttpServer()).get('/products/99')).status === 404, { timeout: 2_000 });
    }
    await request(first.getHttpServer()).delete('/products/99').expect(404);
  });

  it('rejects bad input with JSON errors, caches none of it, and keeps working', async () => {
    const server = first.getHttpServer();
    for (const id of ['abc', '0', '-1', '1.5', '99999999999']) {
      const response = await request(server).get(`/products/${id}`).expect(400);
      expect(response.body).toMatchObject({ statusCode: 400 });
    }
    const before = await queries(first);
    await request(server).get('/products/123456').expect(404);
    await request(server).get('/products/123456').expect(404);
    expect(await queries(first)).toBe(before + 2);
    await request(server).put('/products/13').send({ price: -3 }).expect(400);
    await request(server).put('/products/13').send({ name: '' }).expect(400);
    await request(server).put('/products/13').send({ colour: 'red' }).expect(400);
    await request(server).get('/products').expect(400);
    await request(server).get('/products/13').expect(200);
  });

  it('reports database queries and cache counters on /stats', async () => {
    const response = await request(first.getHttpServer()).get('/stats').expect(200);
    expect(response.body).toMatchObject({ queries: expect.any(Number), cache: { hits: { l1: expect.any(Number) } } });
    expect(response.body.cache.hits.l1).toBeGreaterThan(0);
  });
});

describe('demo without Redis', () => {
  it('starts and serves from L1 and the database', async () => {
    const database = new PgliteDatabase();
    await seedProducts(database, 100);
    const config: DemoConfig = {
      port: 0,
      redisUrl: `redis://127.0.0.1:${await freePort()}`,
      databaseUrl: undefined,
      namespace: uniqueNamespace('shop'),
      seedCount: 0,
    };
    const app = await startInstance(config, database);
    try {
      await request(app.getHttpServer()).get('/products/7').expect(200);
      await request(app.getHttpServer()).get('/products/7').expect(200);
      expect(await queries(app)).toBe(1);
    } finally {
      await app.close();
      await database.close();
    }
  }, 30_000);
});
