import type { CacheModuleOptions } from 'nestjs-tiered-cache';
import { uniqueNamespace, waitFor } from '../support/test-redis.js';
import { useFaultEnvironment } from './support/fault-environment.js';
import { formatLatency, latencyFigures, now, printFigures, sleep, Violations } from './support/fault-figures.js';
import { spawnFaultWorker } from './support/fault-worker.client.js';
import { lockKeys } from './support/redis-inspect.js';

// README guarantee 2 under a crash: the instance holding a key's load lock dies mid-load; the
// others get a value within lockWait + their own load, never the lock's whole TTL.
const LOCK_WAIT = 2_000;
const LOAD_TIME = 300;
// NOTE: 1.5 s of slack for a busy machine; the lock TTL (at least 10 s) is far beyond it.
const BOUND = LOCK_WAIT + LOAD_TIME + 1_500;
const WAITERS_PER_INSTANCE = 8;

describe('fault: the load-lock holder is SIGKILLed mid-load', () => {
  const env = useFaultEnvironment();
  const { apps } = env;

  it.each(['already waiting', 'arriving after the kill'])('waiters %s get a value within lockWait + load time', async (when) => {
    const namespace = uniqueNamespace('holder');
    const options: CacheModuleOptions = { namespace, l2: { redis: env.server.url, lockWait: LOCK_WAIT } };
    const holder = await spawnFaultWorker(options);
    const loading = holder.next('loading');
    const held = holder.call('slowLoad', ['hot', 'from the holder', 60_000], 70_000).catch(() => 'killed');
    await loading;
    await waitFor(async () => (await lockKeys(env.direct, namespace)).length === 1, { timeout: 5_000 });
    const lockTtl = await env.direct.pttl((await lockKeys(env.direct, namespace))[0]);

    const instances = [await apps.start(options), await apps.start(options)];
    let loaderCalls = 0;
    const waiters = (): Promise<{ latency: number; value: unknown; error?: string }>[] =>
      instances.flatMap((instance) =>
        Array.from({ length: WAITERS_PER_INSTANCE }, async () => {
          const started = now();
          try {
            const value = await instance.cache.getOrSet('hot', async () => {
              loaderCalls += 1;
              await sleep(LOAD_TIME);
              return 'from a waiter';
            });
            return { latency: now() - started, value };
          } catch (error) {
            return { latency: now() - started, value: undefined, error: (error as Error).message };
          }
        }),
      );
    let calls: ReturnType<typeof waiters>;
    if (when === 'already waiting') {
      calls = waiters();
      await sleep(200);
      await holder.kill('SIGKILL');
    } else {
      await holder.kill('SIGKILL');
      calls = waiters();
    }
    const results = await Promise.all(calls);
    await held;

    const figures = latencyFigures(results.map((result) => result.latency));
    const errors = results.filter((result) => result.error !== undefined);
    const wrong = results.filter((result) => result.error === undefined && result.value !== 'from a waiter');
    printFigures(`lock holder SIGKILLed, waiters ${when}`, {
      waiters: results.length,
      latency: formatLatency(figures),
      bound: `${BOUND}ms`,
      'orphaned lock ttl': `${lockTtl}ms`,
      'loader calls': loaderCalls,
      'caller errors': errors.length,
      'wrong values': wrong.length,
      'holder exit': JSON.stringify(holder.exit),
    });
    const violations = new Violations();
    violations.check(holder.exit?.signal === 'SIGKILL', `the holder was not killed: ${JSON.stringify(holder.exit)}`);
    violations.check(errors.length === 0, `${errors.length} waiters rejected: ${errors[0]?.error}`);
    violations.check(wrong.length === 0, `${wrong.length} waiters got ${JSON.stringify(wrong[0]?.value)}`);
    violations.check(figures.max <= BOUND, `the slowest waiter took ${figures.max}ms (lockWait ${LOCK_WAIT} + load ${LOAD_TIME}, bound ${BOUND}ms)`);
    expect(violations.list).toEqual([]);
  }, 40_000);
});
