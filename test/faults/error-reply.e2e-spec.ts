import { InvalidCacheOptionError, L2_STORE, type CacheService } from 'nestjs-tiered-cache';
import { uniqueNamespace } from '../support/test-redis.js';
import { useFaultEnvironment } from './support/fault-environment.js';
import { printFigures, Violations } from './support/fault-figures.js';
import { entryKey } from './support/redis-inspect.js';

// Item 33 of issue 7: an error reply is Redis answering, not Redis being down; it must not open the
// circuit breaker (which would send every caller to the loader for breakerCooldown).
const PROVOKED = 10;

describe('fault: Redis error replies', () => {
  const env = useFaultEnvironment(['--maxmemory-policy', 'noeviction']);
  const { apps } = env;
  let namespace: string;

  beforeEach(async () => {
    namespace = uniqueNamespace('replies');
  });

  const provocations: [string, (cache: CacheService) => Promise<void>][] = [
    [
      'OOM on writes (maxmemory reached, noeviction)',
      async (cache) => {
        await env.direct.config('SET', 'maxmemory', '1');
        for (let index = 0; index < PROVOKED; index += 1) await cache.set(`oom:${index}`, index);
        await env.direct.config('SET', 'maxmemory', '0');
      },
    ],
    [
      'WRONGTYPE on reads (entry keys holding a list)',
      async (cache) => {
        for (let index = 0; index < PROVOKED; index += 1) await env.direct.rpush(entryKey(namespace, `wrong:${index}`), 'x');
        for (let index = 0; index < PROVOKED; index += 1) await cache.get(`wrong:${index}`);
      },
    ],
    [
      'fractional durations (ttl 4000.7 ms; Redis rejects PX 4000.7)',
      async (cache) => {
        // NOTE: rejecting the option with InvalidCacheOptionError is as good an answer as rounding it.
        for (let index = 0; index < PROVOKED; index += 1) {
          await cache.set(`fractional:${index}`, index, { ttl: 4000.7 }).catch((error: unknown) => {
            if (!(error instanceof InvalidCacheOptionError)) throw error;
          });
        }
      },
    ],
  ];

  it.each(provocations)('%s: the next normal call still reaches Redis', async (_, provoke) => {
    // NOTE: threshold 3 and a 30 s cooldown: if error replies count as failures, the breaker is open for the rest of the test.
    const app = await apps.start({ namespace, l2: { redis: env.server.url, breakerThreshold: 3, breakerCooldown: '30s' } });
    const other = await apps.start({ namespace, l2: { redis: env.server.url } });
    let callerErrors = 0;
    await provoke(app.cache).catch(() => (callerErrors += 1));
    // Diagnostic only (not part of the contract): what the L2 store says about its circuit.
    const circuitOpen = (app.app.get(L2_STORE) as { isUnavailable?: boolean }).isUnavailable;

    await app.cache.set('after', 'written');
    const written = (await env.direct.exists(entryKey(namespace, 'after'))) === 1;
    await other.cache.set('probe', 'from the other instance');
    const read = await app.cache.get('probe');

    printFigures(`error replies: ${_}`, {
      provoked: PROVOKED,
      'caller errors': callerErrors,
      'circuit open after': String(circuitOpen),
      'next write reached Redis': written,
      'next read reached Redis': read === 'from the other instance',
    });
    const violations = new Violations();
    violations.check(callerErrors === 0, 'an error reply reached the caller');
    violations.check(written, `after ${PROVOKED} error replies, set() did not reach Redis (circuit opened?)`);
    violations.check(read === 'from the other instance', `after ${PROVOKED} error replies, get() of another instance's entry returned ${String(read)} (circuit opened?)`);
    expect(violations.list).toEqual([]);
  }, 30_000);
});
