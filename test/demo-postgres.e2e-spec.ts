import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pg from 'pg';
import request from 'supertest';
import { DemoModule } from '../apps/demo/src/app.module.js';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

// A throwaway database on the PostgreSQL server of this machine (TEST_POSTGRES_URL to point elsewhere).
const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    process.stderr.write(`PostgreSQL not reachable at ${adminUrl}: the real-PostgreSQL demo test is skipped\n`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const describeWithPostgres = (await postgresReachable()) ? describe : describe.skip;

describeWithPostgres('demo on a real PostgreSQL (DATABASE_URL)', () => {
  const database = `demo_${randomBytes(4).toString('hex')}`;
  let admin: pg.Client;
  let app: INestApplication;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${database}`);
    const databaseUrl = new URL(adminUrl);
    databaseUrl.pathname = `/${database}`;
    const config = { port: 0, redisUrl: redisUrl(), databaseUrl: databaseUrl.toString(), namespace: uniqueNamespace('pg'), seedCount: 1_000 };
    const moduleRef = await Test.createTestingModule({ imports: [DemoModule.forRoot(config)] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await admin.query(`drop database if exists ${database}`);
    await admin.end();
  });

  it('seeds, serves and caches products from PostgreSQL', async () => {
    const server = app.getHttpServer();
    const first = await request(server).get('/products/500').expect(200);
    expect(first.body).toMatchObject({ id: 500, name: 'Product 500' });
    const queries = (await request(server).get('/stats')).body.queries as number;
    await request(server).get('/products/500').expect(200);
    expect((await request(server).get('/stats')).body.queries).toBe(queries);
    await request(server).put('/products/500').send({ price: 9.5 }).expect(200);
    expect((await request(server).get('/products/500')).body.price).toBe(9.5);
    await request(server).get('/products/1001').expect(404);
  });

  it('after concurrent PUTs moving a product between categories, only its final category lists it', async () => {
    const server = app.getHttpServer();
    const categories = Array.from({ length: 8 }, (_, index) => `moved-${index}`);
    const listed = async (category: string): Promise<boolean> =>
      ((await request(server).get('/products').query({ category }).expect(200)).body as { id: number }[]).some((p) => p.id === 40);
    for (const category of categories) expect(await listed(category)).toBe(false);
    await Promise.all(categories.map((category) => request(server).put('/products/40').send({ category }).expect(200)));
    const final = (await request(server).get('/products/40').expect(200)).body.category as string;
    for (const category of [...categories, 'category-0']) expect(await listed(category)).toBe(category === final);
  });
});
