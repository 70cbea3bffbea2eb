import { Test } from '@nestjs/testing';
import { CacheModule, CacheService } from 'nestjs-tiered-cache';
import { Cluster } from 'ioredis';
import type { INestApplicationContext } from '@nestjs/common';
import { hashSlot } from '../libs/cache/src/keys/hash-slot.js';
import { startRedisCluster, type RedisClusterHandle } from './support/redis-cluster.js';
import { uniqueNamespace } from './support/test-redis.js';

const productOf = (key: string): { key: string } => ({ key });

describe('getManyOrSet on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let admin: Cluster;
  const apps: INestApplicationContext[] = [];
  const connections: Cluster[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    admin = new Cluster(cluster.nodes);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    connections.splice(0).forEach((connection) => connection.disconnect());
    admin?.disconnect();
    await cluster?.stop();
  });

  async function startInstance(namespace: string): Promise<CacheService> {
    const connection = new Cluster(cluster.nodes);
    connections.push(connection);
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespace, l1: { max: 1_000, ttl: '1h' }, l2: { redis: connection, commandTimeout: '5s' } })],
    }).compile();
    const app = await moduleRef.init();
    apps.push(app);
    return app.get(CacheService);
  }

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
