import { engineOf } from '../../libs/cache/src/cache.service.js';
import { uniqueNamespace, waitFor } from '../support/test-redis.js';
import { useFaultEnvironment } from './support/fault-environment.js';
import { now, printFigures, sleep, Violations } from './support/fault-figures.js';
import { entryKey } from './support/redis-inspect.js';

// Item 23 of issue 7: a write that outlives commandTimeout is either known to have failed (and not
// published) or published; another instance's L1 never keeps the old value while Redis holds the new one.
const COMMAND_TIMEOUT = 100;
const MAX_STALENESS = 1_000;
const SIZE = 50 * 2 ** 20;

describe('fault: a 50 MB value with a small commandTimeout', () => {
  const env = useFaultEnvironment();
  const { apps } = env;

  it('another instance does not keep the old value while Redis holds the new one', async () => {
    const namespace = uniqueNamespace('large');
    const options = { namespace, l2: { redis: env.server.url, commandTimeout: COMMAND_TIMEOUT }, bus: { maxStaleness: MAX_STALENESS } };
    const [writer, reader] = [await apps.start(options), await apps.start(options)];
    await writer.cache.set('big', 'old');
    // The bus message of this first write must not be what later clears the reader's L1.
    await waitFor(() => reader.cache.stats.invalidations.remote > 0, { timeout: 5_000 });
    expect(await reader.cache.get('big')).toBe('old');
    const messagesBefore = reader.cache.stats.invalidations.remote;

    const started = now();
    const outcome = await writer.cache.set('big', 'x'.repeat(SIZE)).then(
      () => 'resolved',
      (error: Error) => `rejected: ${error.name}: ${error.message}`,
    );
    const callerWaited = now() - started;
    // Wait until Redis stops changing (a write given up on may still land), then for the bus.
    let stored = -1;
    for (let stable = 0, round = 0; stable < 3 && round < 100; round += 1) {
      const length = await env.direct.strlen(entryKey(namespace, 'big'));
      stable = length === stored ? stable + 1 : 0;
      stored = length;
      await sleep(100);
    }
    await sleep(MAX_STALENESS + 500);
    const redisHoldsNew = stored > SIZE;
    // NOTE: the reader's L1 is looked at directly: a get() would go to Redis on an L1 miss, and a 50 MB
    // read may itself time out, hiding what L1 holds.
    const kept = engineOf(reader.cache).peekFresh<string>('big')?.value;
    const readerL1 = kept === undefined ? 'nothing' : kept === 'old' ? 'old' : kept.length === SIZE ? 'new' : `other (${kept.length} chars)`;
    const writeErrors = writer.cache.stats.errors.get('l2:set') ?? 0;

    printFigures('50 MB write, commandTimeout 100ms', {
      'caller saw': outcome,
      'caller waited': `${Math.round(callerWaited)}ms`,
      'Redis holds': redisHoldsNew ? 'new' : stored > 0 ? 'old' : 'nothing',
      'writer counted L2 write errors': writeErrors,
      'bus messages received by the other instance': reader.cache.stats.invalidations.remote - messagesBefore,
      "other instance's L1 holds": readerL1,
    });
    const violations = new Violations();
    violations.check(!(redisHoldsNew && readerL1 === 'old'), 'Redis holds the new 50 MB value but another instance still serves the old one from L1 (no bus message)');
    expect(violations.list).toEqual([]);
  }, 40_000);
});
