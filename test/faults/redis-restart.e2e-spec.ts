import type { CacheService } from 'nestjs-tiered-cache';
import { uniqueNamespace, waitFor } from '../support/test-redis.js';
import { useFaultEnvironment } from './support/fault-environment.js';
import { now, printFigures, sleep, Violations } from './support/fault-figures.js';

// README guarantees 6 and 10 when Redis dies (SIGKILL) and comes back empty: no instance serves a value
// deleted or invalidated before or during the outage once the bus could have delivered.
const MAX_STALENESS = 1_000;
const OUTAGE = 2_000;
const DELETED = ['deleted before', 'deleted during', 'tagged before', 'tagged during'];

describe('fault: Redis SIGKILLed and restarted empty', () => {
  const env = useFaultEnvironment();
  const { apps } = env;

  it('no instance serves a deleted or invalidated value once the bus could have delivered', async () => {
    const namespace = uniqueNamespace('restart');
    const options = { namespace, l2: { redis: env.server.url, commandTimeout: 200 }, bus: { maxStaleness: MAX_STALENESS } };
    const [writer, reader] = [await apps.start(options), await apps.start(options)];
    const readAll = (cache: CacheService) => Promise.all(DELETED.map((key) => cache.get<string>(key)));
    await writer.cache.set('deleted before', 'old');
    await writer.cache.set('deleted during', 'old');
    await writer.cache.set('tagged before', 'old', { tags: ['before'] });
    await writer.cache.set('tagged during', 'old', { tags: ['during'] });
    expect(await readAll(reader.cache)).toEqual(DELETED.map(() => 'old'));
    await writer.cache.delete('deleted before');
    await writer.cache.invalidateTags('before');
    await waitFor(async () => (await readAll(reader.cache)).slice(0, 3).every((value, index) => index === 1 || value === undefined), { timeout: 5_000 });

    const crashedAt = now();
    await env.server.crash();
    await writer.cache.delete('deleted during');
    await writer.cache.invalidateTags('during');
    let staleUntil = 0;
    while (now() - crashedAt < OUTAGE) {
      if ((await readAll(reader.cache)).includes('old')) staleUntil = now() - crashedAt;
      await sleep(25);
    }
    await env.server.restart();
    const restartedAt = now();
    await waitFor(() => !writer.cache.hasPendingInvalidations, { timeout: 10_000, interval: 25 }).catch(() => undefined);
    const flushedAfter = now() - restartedAt;
    await sleep(MAX_STALENESS + 500);

    const fresh = await apps.start(options);
    const views = { writer: await readAll(writer.cache), reader: await readAll(reader.cache), fresh: await readAll(fresh.cache) };
    const reloaded = await Promise.all(DELETED.map((key) => reader.cache.getOrSet(key, async () => 'new')));
    const staleReads = Object.values(views).flat().filter((value) => value !== undefined).length;
    printFigures('Redis SIGKILL + empty restart', {
      outage: `${OUTAGE}ms`,
      'reader served a deleted value until': `${Math.round(staleUntil)}ms after the crash (maxStaleness ${MAX_STALENESS}ms)`,
      'pending invalidations flushed after restart': `${Math.round(flushedAfter)}ms`,
      'stale reads after delivery (writer/reader/fresh)': Object.values(views).map((values) => values.filter((value) => value !== undefined).length).join('/'),
      'getOrSet after restart': reloaded.join(','),
    });
    const violations = new Violations();
    violations.check(staleUntil <= MAX_STALENESS + 1_000, `the reader served a value deleted during the outage ${Math.round(staleUntil)}ms after the crash (maxStaleness ${MAX_STALENESS}ms)`);
    violations.check(flushedAfter < 10_000, 'invalidations made during the outage were still pending 10 s after the restart');
    for (const [name, values] of Object.entries(views)) {
      violations.check(values.every((value) => value === undefined), `${name} reads ${DELETED.map((key, index) => `${key}=${String(values[index])}`).join(', ')}`);
    }
    violations.check(staleReads === 0 && reloaded.every((value) => value === 'new'), `getOrSet after the restart returned ${reloaded.join(', ')}`);
    expect(violations.list).toEqual([]);
  }, 40_000);
});
