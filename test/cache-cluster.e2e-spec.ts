import { Test } from '@nestjs/testing';
import { CacheModule, CacheService } from 'nestjs-tiered-cache';
import { Cluster } from 'ioredis';
import type { INestApplicationContext } from '@nestjs/common';
import { hashSlot } from '../libs/cache/src/keys/hash-slot.js';
import { startRedisCluster, type RedisClusterHandle } from './support/redis-cluster.js';
import { uniqueNamespace, waitFor } from './support/test-redis.js';

const productOf = (key: string): { key: string } => ({ key });

describe('Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let admin: Cluster;
  const apps: INestApplicationContext[] = [];
  const connections: Cluster[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    admin = new Cluster(cluster.nodes);
  }, 60_000);
  afterAll(async () => {
    admin?.disconnect();
    await cluster?.stop();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    connections.splice(0).forEach((connection) => connection.disconnect());
  });

  async function startInstance(namespace: string): Promise<CacheService> {
    const connection = new Cluster(cluster.nodes);
    connections.push(connection);
    const moduleRef = await Test.createTestingModule({
      // NOTE: a generous commandTimeout: these tests are about slots and locks, not about a busy machine's latency.
      imports: [CacheModule.forRoot({ namespace, l1: { max: 1_000, ttl: '1h' }, l2: { redis: connection, commandTimeout: '5s' } })],
    }).compile();
    const app = await moduleRef.init();
    apps.push(app);
    return app.get(CacheService);
  }

  it('reads, writes and batches across slots on three masters', async () => {
    const namespace = uniqueNamespace();
    const writer = await startInstance(namespace);
    const reader = await startInstance(namespace);
    const keys = Array.from({ length: 200 }, (_, index) => `item:${index}`);
    await writer.setMany(keys.map((key, index) => ({ key, value: { index }, tags: [`group:${index % 7}`] })));

    expect(await reader.getMany(keys)).toEqual(keys.map((_, index) => ({ index })));
    const masters = admin.nodes('master');
    const perNode = await Promise.all(masters.map((node) => node.dbsize()));
    expect(perNode.filter((count) => count > 0)).toHaveLength(3);
  });

  it('invalidates tags, propagates over the bus and clears every master', async () => {
    const namespace = uniqueNamespace();
    const writer = await startInstance(namespace);
    const reader = await startInstance(namespace);
    await writer.setMany(Array.from({ length: 50 }, (_, index) => ({ key: `k${index}`, value: index, tags: ['all'] })));
    expect(await reader.get('k7')).toBe(7);

    await writer.set('k7', 'changed');
    await waitFor(async () => (await reader.get('k7')) === 'changed', { timeout: 2_000 });
    await writer.invalidateTags('all');
    await waitFor(async () => (await reader.get('k8')) === undefined, { timeout: 2_000 });

    await writer.set('survivor', 1);
    await writer.clear();
    await waitFor(async () => (await reader.get('survivor')) === undefined, { timeout: 2_000 });
    const leftovers = await Promise.all(admin.nodes('master').map((node) => node.keys(`${namespace}:*`)));
    expect(leftovers.flat()).toEqual([]);
  });

  it('soft-invalidates keys and tags across slots: stale for a failing loader, never fresh', async () => {
    const namespace = uniqueNamespace();
    const writer = await startInstance(namespace);
    const reader = await startInstance(namespace);
    const entry = { ttl: '1h', grace: '1h', tags: ['soft'] } as const;
    const keys = Array.from({ length: 20 }, (_, index) => `s${index}`);
    for (const key of keys) await writer.getOrSet(key, async () => `old ${key}`, entry);
    await writer.delete(...keys.slice(0, 10), { soft: true });
    await writer.invalidateTags('soft', { soft: true });
    for (const key of keys) await waitFor(async () => (await reader.get(key)) === undefined, { timeout: 2_000 });
    const failing = (): Promise<string> => Promise.reject(new Error('down'));
    expect(await Promise.all(keys.map((key) => reader.getOrSet(key, failing, entry)))).toEqual(keys.map((key) => `old ${key}`));
  });

  it('runs one loader for two instances racing on a cold key', async () => {
    const namespace = uniqueNamespace();
    const [first, second] = [await startInstance(namespace), await startInstance(namespace)];
    let calls = 0;
    const loader = async (): Promise<string> => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 150));
      return 'once';
    };
    const results = await Promise.all([first.getOrSet('cold', loader), second.getOrSet('cold', loader)]);
    expect(results).toEqual(['once', 'once']);
    expect(calls).toBe(1);
  });

  describe('getManyOrSet', () => {
    async function scriptCalls(): Promise<number> {
      const stats = await Promise.all(admin.nodes('master').map((node) => node.info('commandstats')));
      const calls = (info: string, command: string): number => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
      return stats.reduce((sum, info) => sum + calls(info, 'eval') + calls(info, 'evalsha'), 0);
    }

    async function seeded(namespace: string): Promise<{ keys: string[]; missing: string[] }> {
      const keys = Array.from({ length: 100 }, (_, index) => `product:${index}`);
      const missing = keys.filter((_, index) => index % 10 === 7);
      const writer = await startInstance(namespace);
      await writer.setMany(keys.filter((key) => !missing.includes(key)).map((key) => ({ key, value: productOf(key) })));
      return { keys, missing };
    }

    function recordingLoader(): { calls: string[][]; load: (keys: string[]) => Promise<{ key: string }[]> } {
      const calls: string[][] = [];
      const load = async (batch: string[]): Promise<{ key: string }[]> => {
        calls.push(batch);
        await new Promise((resolve) => setTimeout(resolve, 200));
        return batch.map(productOf);
      };
      return { calls, load };
    }

    it('loads the 10 missing of 100 keys once across two instances racing', async () => {
      const namespace = uniqueNamespace();
      const { keys, missing } = await seeded(namespace);
      const first = await startInstance(namespace);
      const second = await startInstance(namespace);
      const loader = recordingLoader();

      const [fromFirst, fromSecond] = await Promise.all([first.getManyOrSet(keys, loader.load), second.getManyOrSet(keys, loader.load)]);

      expect(fromFirst).toEqual(keys.map(productOf));
      expect(fromSecond).toEqual(keys.map(productOf));
      // NOTE: locks are per slot, so two racing instances may split the missing keys between them: each is loaded once.
      expect(loader.calls.flat().sort()).toEqual([...missing].sort());
      const third = await startInstance(namespace);
      expect(await third.getMany(missing)).toEqual(missing.map(productOf));
    });

    it('sends one lock call and one write call per slot of the missing keys', async () => {
      const namespace = uniqueNamespace();
      const { keys, missing } = await seeded(namespace);
      const cold = await startInstance(namespace);
      await Promise.all(admin.nodes('master').map((node) => node.config('RESETSTAT')));

      expect(await cold.getManyOrSet(keys, recordingLoader().load)).toEqual(keys.map(productOf));

      expect(await scriptCalls()).toBe(2 * new Set(missing.map(hashSlot)).size);
    });
  });
});
