import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheHealthIndicator, CacheModule, CacheService, CacheStats, OnTableChange, type CacheModuleOptions, type TableChange } from 'nestjs-tiered-cache';
import pg from 'pg';
import request from 'supertest';
import { DemoModule } from '../apps/demo/src/app.module.js';
import { Registry } from 'prom-client';
import { engineOf } from '../libs/cache/src/cache.service.js';
import { CacheMetricsCollector } from '../libs/cache/src/metrics/cache-metrics.collector.js';
import { ChangeFeedRunner } from '../libs/cache/src/change-feed/change-feed.runner.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
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
let replicaServer: Promise<PostgresServerHandle>;
const instances: Instance[] = [];

async function startInstance(namespace: string, slot: string, redis = redisUrl(), maxLagBytes?: number): Promise<Instance> {
  const options: CacheModuleOptions = {
    namespace,
    l2: { redis },
    changeFeed: { postgres: server.url, slot, publication: 'cache_feed', retryInterval: '200ms', statusInterval: '1s', lagInterval: '500ms', maxLagBytes },
  };
  const moduleRef = await Test.createTestingModule({ imports: [CacheModule.forRoot(options)], providers: [ProductInvalidation] }).compile();
  const app = await moduleRef.init();
  const instance = { app, cache: app.get(CacheService), runner: app.get(ChangeFeedRunner), handler: app.get(ProductInvalidation) };
  instances.push(instance);
  return instance;
}

const FEED_WORKER = fileURLToPath(new URL('../dist/test/support/change-feed-worker.js', import.meta.url));

/** A change feed instance in a child process (see support/change-feed-worker.ts); needs `npm run build`. */
interface FeedWorker {
  child: ChildProcess;
  role: string | undefined;
}

async function spawnFeedWorker(options: CacheModuleOptions): Promise<FeedWorker> {
  if (!existsSync(FEED_WORKER)) throw new Error(`${FEED_WORKER} is missing: run 'npm run build' first`);
  const child = fork(FEED_WORKER, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const worker: FeedWorker = { child, role: undefined };
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`feed worker exited with ${code}`)));
    child.on('message', (message: { ready?: boolean; role?: string }) => {
      if (message.ready) resolve();
      if ('role' in message) worker.role = message.role;
    });
  });
  return worker;
}

const proxies: TcpProxy[] = [];

async function closeAll(): Promise<void> {
  await Promise.all(instances.splice(0).map(({ app }) => app.close()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
}

/** A feed instance holding `slot` whose Redis is reached through a proxy the test can cut. */
async function holderBehindProxy(slot: string, maxLagBytes?: number): Promise<{ proxy: TcpProxy; instance: Instance }> {
  const proxy = await startTcpProxy(Number(new URL(redisUrl()).port));
  proxies.push(proxy);
  const instance = await startInstance(uniqueNamespace('cdc'), slot, proxy.url, maxLagBytes);
  await waitFor(() => holderOf([instance]) !== undefined, { timeout: 10_000 });
  return { proxy, instance };
}

/** Reads a product through the cache, loading from PostgreSQL on a miss. */
function readProduct(cache: CacheService, id: number): Promise<number | null> {
  return cache.getOrSet(`product:${id}`, async () => {
    const { rows } = await db.query<{ price: number }>('SELECT price FROM products WHERE id = $1', [id]);
    return rows[0]?.price ?? null;
  });
}

const holderOf = (pair: Instance[]): Instance | undefined => pair.find(({ app }) => app.get(CacheStats).changeFeed?.role === 'active');

async function connectDb(): Promise<void> {
  db = new pg.Client({ connectionString: server.url });
  db.on('error', () => undefined);
  await db.connect();
}

/** The runner's replication socket, destroyed as a crash would close it, and the runner kept from reconnecting. */
function crashFeed({ runner }: Instance): void {
  const internals = runner as unknown as { stopped: boolean; client: { connection: { stream: { destroy(): void } } } };
  internals.stopped = true;
  internals.client.connection.stream.destroy();
}

beforeAll(async () => {
  replicaServer = startPostgresServer({ walLevel: 'replica' });
  replicaServer.catch(() => undefined);
  server = await startPostgresServer();
  await connectDb();
  await db.query('CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price int NOT NULL)');
  await db.query('CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL)');
  await db.query("INSERT INTO products SELECT g, 'p' || g, 100 FROM generate_series(1, 50) g");
}, 60_000);

afterAll(async () => {
  await closeAll();
  await db?.end();
  await server?.stop();
  await (await replicaServer.catch(() => undefined))?.stop();
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
    for (let round = 0; round < 500; round += 1) {
      const price = 1_000 + round;
      await db.query('UPDATE products SET price = $1 WHERE id = 2', [price]);
      const committed = performance.now();
      for (const { cache } of pair) await waitFor(async () => (await readProduct(cache, 2)) === price, { timeout: 10_000, interval: 1 });
      latencies.push(performance.now() - committed);
    }
    latencies.sort((a, b) => a - b);
    const quantile = (q: number): string => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(1);
    console.log(`change feed COMMIT → fresh read on both instances over ${latencies.length} updates: p50 ${quantile(0.5)}ms, p99 ${quantile(0.99)}ms`);

    const holder = holderOf(pair)!;
    const stats = holder.app.get(CacheStats);
    await waitFor(() => stats.changeFeed?.lagBytes !== undefined, { timeout: 10_000 });
    expect(stats.changeFeed?.lagSeconds).toBeLessThan(60);
    expect(stats.snapshot()).toMatchObject({ changeFeed: { role: 'active', changes: 501, transactions: 501, invalidations: 501 } });
    const health = await holder.app.get(CacheHealthIndicator).isHealthy('cache');
    expect(health.cache).toMatchObject({ status: 'up', changeFeed: { role: 'active', lagBytes: expect.any(Number) } });
    const registry = new Registry();
    new CacheMetricsCollector(registry).add(namespace, stats);
    const metrics = await registry.metrics();
    expect(metrics).toContain(`cache_change_feed_changes_total{namespace="${namespace}"} 501`);
    expect(metrics).toMatch(new RegExp(`cache_change_feed_lag_bytes\\{namespace="${namespace}"\\} \\d+`));
    expect(metrics).toContain(`cache_change_feed_active{namespace="${namespace}"} 1`);
  }, 60_000);

  it('delivers insert, update (also of the key) and delete', async () => {
    const instance = await startInstance(uniqueNamespace('cdc'), 'feed_ops');
    await waitFor(() => holderOf([instance]) !== undefined, { timeout: 10_000 });
    const { cache } = instance;
    expect(await readProduct(cache, 100)).toBeNull();
    expect(await readProduct(cache, 101)).toBeNull();

    await db.query("INSERT INTO products VALUES (100, 'new', 7)");
    await waitFor(async () => (await readProduct(cache, 100)) === 7, { timeout: 10_000 });
    await db.query('UPDATE products SET id = 101, price = 8 WHERE id = 100');
    await waitFor(async () => (await readProduct(cache, 101)) === 8 && (await readProduct(cache, 100)) === null, { timeout: 10_000 });
    await db.query('DELETE FROM products WHERE id = 101');
    await waitFor(async () => (await readProduct(cache, 101)) === null, { timeout: 10_000 });

    const changes = instance.handler.seen.map(({ operation, key, previousKey, row }) => ({ operation, key, previousKey, price: row?.price }));
    expect(changes).toEqual([
      { operation: 'insert', key: { id: '100' }, previousKey: undefined, price: '7' },
      { operation: 'update', key: { id: '101' }, previousKey: { id: '100' }, price: '8' },
      { operation: 'delete', key: { id: '101' }, previousKey: undefined, price: undefined },
    ]);
  }, 30_000);

  it('a multi-row, multi-table transaction invalidates all of it; a rolled-back one invalidates nothing', async () => {
    const instance = await startInstance(uniqueNamespace('cdc'), 'feed_tx');
    await waitFor(() => holderOf([instance]) !== undefined, { timeout: 10_000 });
    const { cache } = instance;
    await db.query("INSERT INTO categories VALUES (1, 'tools')");
    for (let id = 10; id <= 20; id += 1) await readProduct(cache, id);
    await readProduct(cache, 30);
    await cache.set('category-page:1', 'old page', { tags: ['category:1'] });

    await db.query('BEGIN');
    await db.query('UPDATE products SET price = 555 WHERE id BETWEEN 10 AND 20');
    await db.query("UPDATE categories SET name = 'hand tools' WHERE id = 1");
    await db.query('COMMIT');
    await waitFor(async () => (await cache.get('category-page:1')) === undefined, { timeout: 10_000 });
    for (let id = 10; id <= 20; id += 1) expect(await readProduct(cache, id)).toBe(555);

    await db.query('BEGIN');
    await db.query('UPDATE products SET price = 999 WHERE id = 30');
    await db.query('ROLLBACK');
    await db.query('UPDATE products SET price = 31 WHERE id = 31');
    await waitFor(() => instance.handler.seen.some(({ key }) => key.id === '31'), { timeout: 10_000 });
    expect(instance.handler.seen.filter(({ key }) => key.id === '30')).toEqual([]);
    expect(engineOf(cache).peekFresh('product:30')).toBeDefined();
  }, 30_000);

  it('confirms a transaction to PostgreSQL only once its invalidations reached Redis', async () => {
    const { proxy, instance } = await holderBehindProxy('feed_confirm');
    await readProduct(instance.cache, 40);
    const confirmed = async (): Promise<string> =>
      (await db.query<{ lsn: string }>("SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 'feed_confirm'")).rows[0].lsn;
    const ahead = async (lsn: string, of: string): Promise<boolean> =>
      (await db.query<{ ahead: boolean }>('SELECT $1::pg_lsn > $2::pg_lsn AS ahead', [lsn, of])).rows[0].ahead;

    proxy.cut();
    await db.query('UPDATE products SET price = 4040 WHERE id = 40');
    const afterCommit = (await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn;
    await waitFor(() => instance.handler.seen.some(({ key }) => key.id === '40'), { timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const duringOutage = await confirmed();
    expect(await ahead(afterCommit, duringOutage)).toBe(true);

    proxy.restore();
    await waitFor(async () => await ahead(await confirmed(), duringOutage), { timeout: 15_000, interval: 100 });
    expect(await readProduct(instance.cache, 40)).toBe(4040);
  }, 40_000);

  it("the standby takes over when the holder's connection dies abruptly while changes keep coming, and no change is lost", async () => {
    const namespace = uniqueNamespace('cdc');
    const pair = [await startInstance(namespace, 'feed_takeover'), await startInstance(namespace, 'feed_takeover')];
    await waitFor(() => holderOf(pair) !== undefined, { timeout: 10_000 });
    const holder = holderOf(pair)!;
    const standby = pair.find((instance) => instance !== holder)!;
    for (let id = 1; id <= 50; id += 1) await readProduct(standby.cache, id);

    let writing = true;
    const writer = (async () => {
      for (let round = 0; writing; round += 1) await db.query('UPDATE products SET price = price + 1 WHERE id = $1', [1 + (round % 50)]);
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const crashedAt = performance.now();
    crashFeed(holder);
    await waitFor(() => holderOf([standby]) !== undefined, { timeout: 20_000, interval: 5 });
    const takeover = performance.now() - crashedAt;
    await new Promise((resolve) => setTimeout(resolve, 300));
    writing = false;
    await writer;

    const { rows } = await db.query<{ id: number; price: number }>('SELECT id, price FROM products WHERE id <= 50');
    for (const { id, price } of rows) await waitFor(async () => (await readProduct(standby.cache, id)) === price, { timeout: 10_000 });
    console.log(`change feed takeover after the holder's connection died: ${takeover.toFixed(0)}ms (retryInterval 200ms)`);
  }, 60_000);

  it('the holder process SIGKILLed while changes keep coming: the standby process takes over, no change is lost', async () => {
    const namespace = uniqueNamespace('cdc');
    const options: CacheModuleOptions = {
      namespace,
      l2: { redis: redisUrl() },
      changeFeed: { postgres: server.url, slot: 'feed_sigkill', publication: 'cache_feed', retryInterval: '200ms', statusInterval: '1s' },
    };
    const workers = await Promise.all([spawnFeedWorker(options), spawnFeedWorker(options)]);
    const moduleRef = await Test.createTestingModule({ imports: [CacheModule.forRoot({ namespace, l2: { redis: redisUrl() } })] }).compile();
    const reader = await moduleRef.init();
    try {
      const cache = reader.get(CacheService);
      await waitFor(() => workers.some(({ role }) => role === 'active'), { timeout: 15_000 });
      const holder = workers.find(({ role }) => role === 'active')!;
      const standby = workers.find((worker) => worker !== holder)!;
      for (let id = 1; id <= 50; id += 1) await readProduct(cache, id);

      let writing = true;
      const writer = (async () => {
        for (let round = 0; writing; round += 1) await db.query('UPDATE products SET price = price + 1 WHERE id = $1', [1 + (round % 50)]);
      })();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const killedAt = performance.now();
      holder.child.kill('SIGKILL');
      await waitFor(() => standby.role === 'active', { timeout: 20_000, interval: 5 });
      const takeover = performance.now() - killedAt;
      await new Promise((resolve) => setTimeout(resolve, 300));
      writing = false;
      await writer;

      const { rows } = await db.query<{ id: number; price: number }>('SELECT id, price FROM products WHERE id <= 50');
      for (const { id, price } of rows) await waitFor(async () => (await readProduct(cache, id)) === price, { timeout: 10_000 });
      console.log(`change feed takeover after SIGKILL of the holder process: ${takeover.toFixed(0)}ms (retryInterval 200ms)`);
    } finally {
      for (const { child } of workers) child.kill('SIGKILL');
      await reader.close();
    }
  }, 60_000);

  it('PostgreSQL restarted mid-stream: the feed reconnects and resumes', async () => {
    const instance = await startInstance(uniqueNamespace('cdc'), 'feed_restart');
    await waitFor(() => holderOf([instance]) !== undefined, { timeout: 10_000 });
    const { cache } = instance;
    for (let id = 1; id <= 10; id += 1) await readProduct(cache, id);

    for (let id = 1; id <= 5; id += 1) await db.query('UPDATE products SET price = price + 10 WHERE id = $1', [id]);
    await db.end();
    await server.restart();
    await connectDb();
    for (let id = 6; id <= 10; id += 1) await db.query('UPDATE products SET price = price + 10 WHERE id = $1', [id]);

    const { rows } = await db.query<{ id: number; price: number }>('SELECT id, price FROM products WHERE id <= 10');
    for (const { id, price } of rows) await waitFor(async () => (await readProduct(cache, id)) === price, { timeout: 20_000 });
    expect(instance.app.get(CacheStats).changeFeed?.errors.get('connection')).toBeGreaterThan(0);
  }, 60_000);

  it('a slot dropped under the feed is recreated and the namespace cleared', async () => {
    const instance = await startInstance(uniqueNamespace('cdc'), 'feed_dropped');
    await waitFor(() => holderOf([instance]) !== undefined, { timeout: 10_000 });
    const { cache } = instance;
    await readProduct(cache, 45);
    await cache.set('unrelated', 'cached before the slot was lost');

    const dropSlot = async (): Promise<boolean> => {
      await db.query("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'feed_dropped' AND active_pid IS NOT NULL");
      return db.query("SELECT pg_drop_replication_slot('feed_dropped')").then(() => true, () => false);
    };
    await waitFor(dropSlot, { timeout: 10_000, interval: 10 });
    await db.query('UPDATE products SET price = 4545 WHERE id = 45');

    await waitFor(async () => (await readProduct(cache, 45)) === 4545, { timeout: 10_000 });
    await waitFor(async () => (await cache.get('unrelated')) === undefined, { timeout: 10_000 });
    expect(instance.app.get(CacheStats).changeFeed?.errors.get('slot_lost')).toBe(1);
    await waitFor(() => holderOf([instance]) !== undefined, { timeout: 10_000 });
  }, 30_000);

  it('a slot held back past maxLagBytes (Redis unreachable) is dropped, then recreated with the namespace cleared', async () => {
    const { proxy, instance } = await holderBehindProxy('feed_bounded', 1_000_000);
    const { cache } = instance;
    const stats = instance.app.get(CacheStats).changeFeed!;
    await readProduct(cache, 46);
    await cache.set('unrelated', 'cached before the slot was dropped');

    proxy.cut();
    await db.query('UPDATE products SET price = 4646 WHERE id = 46');
    await db.query('CREATE TABLE IF NOT EXISTS filler (id int, line text)');
    await db.query("INSERT INTO filler SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g");
    await waitFor(() => stats.errors.get('lag_exceeded') === 1, { timeout: 15_000 });
    const { rows } = await db.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'feed_bounded'");
    expect(rows).toEqual([]);

    proxy.restore();
    await waitFor(() => stats.errors.get('slot_lost') === 1 && stats.role === 'active', { timeout: 15_000 });
    await waitFor(async () => (await cache.get('unrelated')) === undefined, { timeout: 10_000 });
    expect(await readProduct(cache, 46)).toBe(4646);
  }, 40_000);

  it('a slot PostgreSQL invalidated past max_slot_wal_keep_size is recreated with the namespace cleared', async () => {
    const { proxy, instance } = await holderBehindProxy('feed_lost');
    try {
      const { cache } = instance;
      const stats = instance.app.get(CacheStats).changeFeed!;
      await readProduct(cache, 47);
      await cache.set('unrelated', 'cached before the slot was lost');
      await db.query("ALTER SYSTEM SET max_slot_wal_keep_size = '2MB'");
      await db.query('SELECT pg_reload_conf()');

      proxy.cut();
      await db.query('UPDATE products SET price = 4747 WHERE id = 47');
      await db.query('CREATE TABLE IF NOT EXISTS filler (id int, line text)');
      const lost = async (): Promise<boolean> => {
        await db.query("INSERT INTO filler SELECT g, repeat('x', 200) FROM generate_series(1, 10000) g");
        await db.query('CHECKPOINT');
        const { rows } = await db.query<{ wal_status: string }>("SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'feed_lost'");
        return rows[0]?.wal_status === 'lost';
      };
      await waitFor(lost, { timeout: 20_000, interval: 100 });

      proxy.restore();
      await waitFor(() => stats.errors.get('slot_lost') === 1 && stats.role === 'active', { timeout: 15_000 });
      await waitFor(async () => (await cache.get('unrelated')) === undefined, { timeout: 10_000 });
      expect(await readProduct(cache, 47)).toBe(4747);
    } finally {
      await db.query('ALTER SYSTEM RESET max_slot_wal_keep_size');
      await db.query('SELECT pg_reload_conf()');
    }
  }, 60_000);

  it('startup against wal_level = replica fails with a clear message', async () => {
    const replica = await replicaServer;
    const options: CacheModuleOptions = {
      namespace: uniqueNamespace('cdc'),
      changeFeed: { postgres: replica.url, slot: 'feed_replica', publication: 'cache_feed' },
    };
    const moduleRef = await Test.createTestingModule({ imports: [CacheModule.forRoot(options)], providers: [ProductInvalidation] }).compile();
    await expect(moduleRef.init()).rejects.toThrow(/wal_level = replica; logical replication needs wal_level = logical/);
    await moduleRef.close();
  }, 30_000);

  it('startup fails with a clear message for a role without REPLICATION, an unreachable server, or a table without identity', async () => {
    await db.query('CREATE ROLE app LOGIN');
    await db.query('CREATE TABLE audit_log (at timestamptz, line text)');
    const attempt = async (postgres: string, table: string): Promise<unknown> => {
      @Injectable()
      class Handler {
        @OnTableChange(table)
        onChange(): void {}
      }
      const options: CacheModuleOptions = { namespace: uniqueNamespace('cdc'), changeFeed: { postgres, slot: 'feed_refused', publication: 'cache_feed' } };
      const moduleRef = await Test.createTestingModule({ imports: [CacheModule.forRoot(options)], providers: [Handler] }).compile();
      const error = await moduleRef.init().then(() => undefined, (reason: unknown) => reason);
      await moduleRef.close();
      return error;
    };
    const appUrl = server.url.replace('postgres@', 'app@');
    expect(await attempt(appUrl, 'products')).toMatchObject({ message: expect.stringMatching(/role app may not stream changes: ALTER ROLE app REPLICATION/) });
    expect(await attempt('postgres://postgres@127.0.0.1:1/postgres', 'products')).toMatchObject({
      message: expect.stringMatching(/preparing the database at changeFeed.postgres failed: .*ECONNREFUSED/),
    });
    expect(await attempt(server.url, 'audit_log')).toMatchObject({ message: expect.stringMatching(/table public.audit_log has no replica identity/) });
  }, 30_000);

  it('is off by default', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [CacheModule.forRoot({ namespace: uniqueNamespace('cdc') })], providers: [ProductInvalidation] }).compile();
    const app = await moduleRef.init();
    expect(app.get(CacheStats).changeFeed).toBeUndefined();
    expect(app.get(CacheStats).snapshot()).not.toHaveProperty('changeFeed');
    await app.close();
  });

  it('the demo: an UPDATE by plain SQL is what the next GET /products/:id returns', async () => {
    await db.query('CREATE DATABASE demo');
    const databaseUrl = server.url.replace(/\/postgres$/, '/demo');
    const config = { port: 0, redisUrl: redisUrl(), databaseUrl, namespace: uniqueNamespace('demo'), seedCount: 20, changeFeed: true };
    const moduleRef = await Test.createTestingModule({ imports: [DemoModule.forRoot(config)] }).compile();
    const app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
    const demoDb = new pg.Client({ connectionString: databaseUrl });
    try {
      await demoDb.connect();
      const http = app.getHttpServer();
      await waitFor(() => app.get(CacheStats).changeFeed?.role === 'active', { timeout: 10_000 });
      expect((await request(http).get('/products/13').expect(200)).body.price).not.toBe(12.34);
      await demoDb.query('UPDATE products SET price = 12.34 WHERE id = 13');
      await waitFor(async () => (await request(http).get('/products/13')).body.price === 12.34, { timeout: 10_000 });
    } finally {
      await demoDb.end();
      await app.close();
    }
  }, 30_000);
});
