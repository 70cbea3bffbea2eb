import 'reflect-metadata';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheModule, CacheService, CacheStats, OnTableChange, type CacheModuleOptions, type TableChange } from 'nestjs-tiered-cache';
import pg from 'pg';
import { ChangeFeedRunner } from '../libs/cache/src/change-feed/change-feed.runner.js';
import { startPostgresServer, type PostgresServerHandle } from './support/postgres-server.js';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

/** Maps changes of the test tables to cache keys and tags, as an application would. */
@Injectable()
class ProductInvalidation {
  readonly seen: TableChange[] = [];

  @OnTableChange('products')
  onProduct(change: TableChange): { keys: string[] } {
    this.seen.push(change);
    const keys = [`product:${change.key.id}`];
    if (change.previousKey) keys.push(`product:${change.previousKey.id}`);
    return { keys };
  }

  @OnTableChange('public.categories')
  onCategory(change: TableChange): { tags: string[] } {
    return { tags: [`category:${change.key.id ?? change.previousKey?.id}`] };
  }
}

interface Instance {
  app: INestApplicationContext;
  cache: CacheService;
  runner: ChangeFeedRunner;
  handler: ProductInvalidation;
}

let server: PostgresServerHandle;
let db: pg.Client;
const instances: Instance[] = [];

async function startInstance(namespace: string, slot: string): Promise<Instance> {
  const options: CacheModuleOptions = {
    namespace,
    l2: { redis: redisUrl() },
    changeFeed: { postgres: server.url, slot, publication: 'cache_feed', retryInterval: '200ms', statusInterval: '1s', lagInterval: '500ms' },
  };
  const moduleRef = await Test.createTestingModule({ imports: [CacheModule.forRoot(options)], providers: [ProductInvalidation] }).compile();
  const app = await moduleRef.init();
  const instance = { app, cache: app.get(CacheService), runner: app.get(ChangeFeedRunner), handler: app.get(ProductInvalidation) };
  instances.push(instance);
  return instance;
}

async function closeAll(): Promise<void> {
  await Promise.all(instances.splice(0).map(({ app }) => app.close()));
}

/** Reads a product through the cache, loading from PostgreSQL on a miss. */
function readProduct(cache: CacheService, id: number): Promise<number | null> {
  return cache.getOrSet(`product:${id}`, async () => {
    const { rows } = await db.query<{ price: number }>('SELECT price FROM products WHERE id = $1', [id]);
    return rows[0]?.price ?? null;
  });
}

const holderOf = (pair: Instance[]): Instance | undefined => pair.find(({ app }) => app.get(CacheStats).changeFeed?.role === 'active');

beforeAll(async () => {
  server = await startPostgresServer();
  db = new pg.Client({ connectionString: server.url });
  await db.connect();
  await db.query('CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price int NOT NULL)');
  await db.query('CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL)');
  await db.query("INSERT INTO products SELECT g, 'p' || g, 100 FROM generate_series(1, 50) g");
}, 60_000);

afterAll(async () => {
  await closeAll();
  await db?.end();
  await server?.stop();
}, 30_000);

afterEach(closeAll);

describe('PostgreSQL change feed', () => {
  it('an UPDATE run with plain SQL invalidates the cached row on every instance', async () => {
    const namespace = uniqueNamespace('cdc');
    const pair = [await startInstance(namespace, 'feed_basic'), await startInstance(namespace, 'feed_basic')];
    await waitFor(() => holderOf(pair) !== undefined, { timeout: 10_000 });
    for (const { cache } of pair) expect(await readProduct(cache, 1)).toBe(100);

    await db.query('UPDATE products SET price = 101 WHERE id = 1');
    for (const { cache } of pair) await waitFor(async () => (await readProduct(cache, 1)) === 101, { timeout: 10_000 });

    const latencies: number[] = [];
    for (let round = 0; round < 200; round += 1) {
      const price = 1_000 + round;
      await db.query('UPDATE products SET price = $1 WHERE id = 2', [price]);
      const committed = performance.now();
      for (const { cache } of pair) await waitFor(async () => (await readProduct(cache, 2)) === price, { timeout: 10_000, interval: 1 });
      latencies.push(performance.now() - committed);
    }
    latencies.sort((a, b) => a - b);
    const quantile = (q: number): string => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(1);
    console.log(`change feed COMMIT → fresh read on both instances over ${latencies.length} updates: p50 ${quantile(0.5)}ms, p99 ${quantile(0.99)}ms`);
  }, 60_000);
});
