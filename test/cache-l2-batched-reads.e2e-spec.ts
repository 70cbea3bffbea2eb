import { Redis } from 'ioredis';
import { startCacheApp, type CacheApp } from './support/cache-app.factory.js';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.js';
import { uniqueNamespace } from './support/test-redis.js';

const READS = 64;

/** How many times Redis ran `command` since the last CONFIG RESETSTAT. */
async function calls(redis: Redis, command: string): Promise<number> {
  const stats = await redis.info('commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
}

describe('L2 reads issued together share one MGET', () => {
  // NOTE: a server of its own, so the command counts are this test's alone.
  let server: RedisServerHandle;
  let direct: Redis;
  let app: CacheApp;

  beforeAll(async () => {
    server = await startRedisServer();
    direct = new Redis(server.url);
  });

  afterAll(async () => {
    await app?.close();
    direct.disconnect();
    await server.stop();
  });

  it('concurrent reads with L1 off reach Redis as one MGET, tag versions included, and each caller gets its own value', async () => {
    app = await startCacheApp({ namespace: uniqueNamespace('batch'), l1: false, bus: false, l2: { redis: server.url } });
    for (let index = 0; index < READS; index += 1) await app.cache.set(`item:${index}`, { index });
    await app.cache.set('tagged', 'with a tag', { tags: ['catalog'] });
    await direct.config('RESETSTAT');

    let loads = 0;
    const [values, tagged, missing] = await Promise.all([
      Promise.all(Array.from({ length: READS }, (_, index) => app.cache.get(`item:${index}`))),
      app.cache.getOrSet('tagged', async () => (loads += 1, 'loaded'), { tags: ['catalog'] }),
      app.cache.get('never-written'),
    ]);

    expect(values).toEqual(Array.from({ length: READS }, (_, index) => ({ index })));
    expect(tagged).toBe('with a tag');
    expect(missing).toBeUndefined();
    expect(loads).toBe(0);
    expect(await calls(direct, 'mget')).toBe(1);
    expect(await calls(direct, 'get')).toBe(0);
  });
});
