import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Cluster } from 'ioredis';
import { CacheModule, CacheService, WriteBehindQueue, type Duration } from 'nestjs-tiered-cache';
import { captureWarnings } from './support/captured-warnings.js';
import { startRedisCluster, type RedisClusterHandle } from './support/redis-cluster.js';
import { uniqueNamespace, waitFor, within } from './support/test-redis.js';
import { AppendOnlyStore } from './support/write-behind-store.js';
import { SequenceWriter, writerSettings } from './support/write-behind-writer.js';

const KEYS = Array.from({ length: 30 }, (_, index) => `k${index}`);
/** Seconds `app.close()` of two instances may take, whatever the queue's Redis does (measured: well under 5). */
const CLOSE_BOUND = 30;

describe('write-behind on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let admin: Cluster;
  const apps: INestApplicationContext[] = [];
  const connections: Cluster[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster(3, ['--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction']);
    admin = new Cluster(cluster.nodes);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    connections.splice(0).forEach((connection) => connection.disconnect());
    admin?.disconnect();
    await cluster?.stop();
  }, 60_000);

  const connect = (): Cluster => {
    const connection = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: null } });
    connection.on('error', () => undefined);
    connections.push(connection);
    return connection;
  };

  async function startInstance(namespace: string, delay: Duration = '200ms'): Promise<INestApplicationContext> {
    @Module({
      imports: [CacheModule.forRoot({ namespace, l2: { redis: connect() }, writeBehind: { redis: connect(), delay, enqueueTimeout: '500ms' } })],
      providers: [SequenceWriter],
    })
    class Instance {}
    const app = await (await Test.createTestingModule({ imports: [Instance] }).compile()).init();
    apps.push(app);
    return app;
  }

  /** Closes `instances` together; fails the test if that takes longer than {@link CLOSE_BOUND}. Resolves the milliseconds taken. */
  async function closeAll(...instances: INestApplicationContext[]): Promise<number> {
    for (const app of instances) apps.splice(apps.indexOf(app), 1);
    const started = Date.now();
    await within(CLOSE_BOUND, 'app.close() of two instances', Promise.all(instances.map((app) => app.close())));
    return Date.now() - started;
  }

  /** Saves `seq` for every key, alternating between `instances`; records what the callers were told. */
  async function writeRound(instances: INestApplicationContext[], keys: string[], seq: number, acknowledged: Map<string, number>): Promise<void> {
    await Promise.all(
      keys.map(async (key, index) => {
        await instances[index % instances.length].get(SequenceWriter).save(key, seq);
        acknowledged.set(key, seq);
      }),
    );
  }

  async function masterOf(key: string): Promise<number> {
    const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', key));
    const ranges = (await admin.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const range = ranges.find(([first, last]) => slot >= first && slot <= last);
    if (!range) throw new Error(`no master serves slot ${slot}`);
    return range[2][1];
  }

  const clusterIsOk = async (): Promise<void> =>
    waitFor(async () => ((await admin.call('CLUSTER', 'INFO').catch(() => '')) as string).includes('cluster_state:ok'), { timeout: 20_000, interval: 200 });

  function useStore(): AppendOnlyStore {
    const store = AppendOnlyStore.create();
    Object.assign(writerSettings, { store, fenced: false, persistTime: 0, failWith: undefined });
    return store;
  }

  it('the latest write of every key is the last one persisted, across two instances and a restart of the queue master', async () => {
    const store = useStore();
    const namespace = uniqueNamespace();
    const [first, second] = [await startInstance(namespace), await startInstance(namespace)];
    const acknowledged = new Map<string, number>();
    for (let seq = 1; seq <= 3; seq += 1) await writeRound([second, first], KEYS, seq, acknowledged);
    expect(await first.get(WriteBehindQueue).drain(20_000)).toBe(true);
    expect(store.audit(acknowledged)).toMatchObject({ lost: [], backwards: 0 });
    expect(await second.get(CacheService).get('seq:k5')).toBe(3);

    const logged = captureWarnings();
    const queueMaster = await masterOf('{wb}');
    await writeRound([second, first], KEYS, 4, acknowledged);
    const restarting = cluster.restart(queueMaster);
    await writeRound([second, first], KEYS, 5, acknowledged);
    await restarting;
    await clusterIsOk();
    await writeRound([second, first], KEYS, 6, acknowledged);

    // NOTE: a write run at once while the queue was down is queued again by its instance's breaker recovery,
    // which may come after a drain found the queue empty; the bound also covers a stalled worker's replacement.
    const settled = async (): Promise<boolean> =>
      (await first.get(WriteBehindQueue).drain(5_000).catch(() => false)) && store.audit(acknowledged).lost.length === 0;
    await waitFor(settled, { timeout: 60_000, interval: 500 }).catch(() => undefined);
    const audit = store.audit(acknowledged);
    const fallbacks = (await first.get(WriteBehindQueue).stats()).fallbacks + (await second.get(WriteBehindQueue).stats()).fallbacks;
    logged.restore();
    const replaced = logged.warnings.filter((warning) => warning.includes('replacing it')).length;
    const closeTime = await closeAll(first, second);
    console.log(
      `cluster (queue master restarted): ${audit.lost.length} lost, ${audit.backwards} older writes applied in between ` +
        `(each applied again after it) of ${audit.applied} persists, ${fallbacks} fallbacks, ${replaced} stalled workers replaced; ` +
        `both instances closed in ${closeTime}ms`,
    );
    // NOTE: a write run at once while the master was down may see another instance's worker apply an older
    // queued write before its fence arrives; it is queued again then, so it is still the last one applied.
    expect(audit.lost).toEqual([]);
  }, 120_000);

  it('app.close() resolves within its bound while the queue master is down; the queued writes persist in the next instance', async () => {
    const store = useStore();
    const namespace = uniqueNamespace();
    const [first, second] = [await startInstance(namespace, '30s'), await startInstance(namespace, '30s')];
    const acknowledged = new Map<string, number>();
    await writeRound([first, second], KEYS, 1, acknowledged);
    expect(store.calls()).toEqual([]);

    const queueMaster = await masterOf('{wb}');
    cluster.signal(queueMaster, 'SIGKILL');
    // Written while the queue is down: run at once (fallbacks); other keys, so no older queued write of them exists.
    await writeRound([first, second], ['down0', 'down1', 'down2'], 1, acknowledged);
    const closeTime = await closeAll(first, second);
    console.log(`cluster (queue master down): both instances closed in ${closeTime}ms`);

    await cluster.restart(queueMaster);
    await clusterIsOk();
    const next = await startInstance(namespace);
    await waitFor(async () => (await next.get(WriteBehindQueue).drain(5_000).catch(() => false)) === true, { timeout: 40_000, interval: 500 });
    expect(store.audit(acknowledged)).toMatchObject({ lost: [], backwards: 0 });
  }, 120_000);
});
