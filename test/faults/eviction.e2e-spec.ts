import { uniqueNamespace } from '../support/test-redis.js';
import { useFaultEnvironment } from './support/fault-environment.js';
import { printFigures, sleep, Violations } from './support/fault-figures.js';
import { entryKey, tagKey } from './support/redis-inspect.js';

// Item 4 of issue 7 (tag resurrection) under the memory policy our docker-compose uses: an entry
// invalidated by tag must never become valid again after its tag version key was evicted.
const ENTRIES = 200;
const WANTED_PAIRS = 20;
// NOTE: Redis' LRU clock ticks once a second; waiting past a tick orders tags < entries < filler.
const LRU_TICK = 1_100;

describe('fault: maxmemory + allkeys-lru evicts entries and tag versions', () => {
  const env = useFaultEnvironment(['--maxmemory-policy', 'allkeys-lru', '--maxmemory-samples', '10']);
  const { apps } = env;

  const exists = async (keys: string[]): Promise<boolean[]> => {
    const replies = (await env.direct.pipeline(keys.map((key) => ['exists', key])).exec()) ?? [];
    return replies.map(([, count]) => count === 1);
  };

  it('an entry invalidated by tag stays invalid after its tag key is evicted', async () => {
    const namespace = uniqueNamespace('evict');
    const options = { namespace, l2: { redis: env.server.url } };
    const writer = await apps.start(options);
    const indexes = Array.from({ length: ENTRIES }, (_, index) => index);
    for (const index of indexes) await writer.cache.set(`entry:${index}`, `invalidated ${index}`, { tags: [`tag:${index}`] });
    await writer.cache.invalidateTags(...indexes.map((index) => `tag:${index}`));
    await sleep(LRU_TICK);
    await env.direct.touch(...indexes.map((index) => entryKey(namespace, `entry:${index}`)));
    await sleep(LRU_TICK);

    // Fill Redis past its limit until entries and tag keys are evicted, and some entries outlive their tag key.
    const usedMemory = Number(/used_memory:(\d+)/.exec(await env.direct.info('memory'))?.[1]);
    await env.direct.config('SET', 'maxmemory', String(usedMemory + 256 * 1024));
    const filler = 'f'.repeat(1_024);
    let fillerKeys = 0;
    let survivors: number[] = [];
    let entriesEvicted = 0;
    for (let round = 0; round < 400 && (survivors.length < WANTED_PAIRS || entriesEvicted === 0); round += 1) {
      await env.direct.pipeline(Array.from({ length: 20 }, () => ['set', `filler:${fillerKeys++}`, filler])).exec();
      const entries = await exists(indexes.map((index) => entryKey(namespace, `entry:${index}`)));
      const tags = await exists(indexes.map((index) => tagKey(namespace, `tag:${index}`)));
      survivors = indexes.filter((index) => entries[index] && !tags[index]);
      entriesEvicted = entries.filter((kept) => !kept).length;
      if (!entries.some(Boolean)) break;
    }
    await env.direct.config('SET', 'maxmemory', '0');
    const evicted = Number(/evicted_keys:(\d+)/.exec(await env.direct.info('stats'))?.[1]);

    // A fresh instance first reads, then writes another entry under the tag (re-creating its key), then reads again.
    const fresh = await apps.start(options);
    let readsBefore = 0;
    let readsAfter = 0;
    let writerReads = 0;
    let loaderCalls = 0;
    for (const index of survivors) {
      if ((await fresh.cache.get(`entry:${index}`)) !== undefined) readsBefore += 1;
      await fresh.cache.set(`other:${index}`, 'x', { tags: [`tag:${index}`] });
      if ((await fresh.cache.get(`entry:${index}`)) !== undefined) readsAfter += 1;
      if ((await writer.cache.get(`entry:${index}`)) !== undefined) writerReads += 1;
      await fresh.cache.getOrSet(`entry:${index}`, async () => (loaderCalls += 1, 'reloaded'));
    }

    printFigures('allkeys-lru eviction of tag keys', {
      entries: ENTRIES,
      'filler keys': fillerKeys,
      'evicted keys': evicted,
      'entries evicted': entriesEvicted,
      'entries kept whose tag was evicted': survivors.length,
      'stale reads (fresh before/after tag re-created, writer)': `${readsBefore}/${readsAfter}/${writerReads} of ${survivors.length}`,
      'loader calls': `${loaderCalls} of ${survivors.length}`,
    });
    const violations = new Violations();
    violations.check(survivors.length > 0, `no entry outlived its tag key (evicted ${evicted}): the scenario did not happen`);
    violations.check(readsBefore === 0, `${readsBefore}/${survivors.length} invalidated entries were served again once their tag key was evicted`);
    violations.check(readsAfter === 0, `${readsAfter}/${survivors.length} invalidated entries were served after a tagged write re-created the tag key`);
    violations.check(writerReads === 0, `the invalidating instance itself served ${writerReads}/${survivors.length} invalidated entries`);
    violations.check(loaderCalls === survivors.length, `getOrSet ran the loader for ${loaderCalls}/${survivors.length} invalidated entries`);
    expect(violations.list).toEqual([]);
  }, 40_000);
});
