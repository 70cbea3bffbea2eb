import { startCacheApp, type CacheApp } from './support/cache-app.factory.js';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));
const ENTRY = { ttl: 100, grace: '1h' } as const;

describe.each([
  ['L1 and L2', { l2: 'from-env' }],
  ['L2 only', { l1: false as const, l2: 'from-env' }],
  ['L1 only', { l2: false as const }],
])('failure throttle (%s)', (_label, tiers) => {
  const apps: CacheApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  async function start(extra: Record<string, unknown>, namespace = uniqueNamespace('thr')): Promise<CacheApp> {
    const l2 = tiers.l2 === false ? false : { redis: redisUrl() };
    const app = await startCacheApp({ namespace, ...tiers, l2, ...extra });
    apps.push(app);
    return app;
  }

  /** A loader that fails and counts its calls. */
  function failingLoader(): { calls: () => number; load: () => Promise<string> } {
    let calls = 0;
    return { calls: () => calls, load: async () => (calls += 1, Promise.reject(new Error('database down'))) };
  }

  it('calls a failing loader once per window, serving the stale value to every call meanwhile', async () => {
    const app = await start({ failureThrottle: '1500ms' });
    await app.cache.getOrSet('k', async () => 'v1', ENTRY);
    await sleep(150);
    const failing = failingLoader();

    for (let call = 0; call < 20; call += 1) expect(await app.cache.getOrSet('k', failing.load, ENTRY)).toBe('v1');
    const concurrent = await Promise.all(Array.from({ length: 50 }, () => app.cache.getOrSet('k', failing.load, ENTRY)));
    expect(concurrent.every((value) => value === 'v1')).toBe(true);
    expect(failing.calls()).toBe(1);
    expect(app.cache.stats.staleHits).toBeGreaterThanOrEqual(21);

    await sleep(1_600);
    expect(await app.cache.getOrSet('k', failing.load, ENTRY)).toBe('v1');
    expect(failing.calls()).toBe(2);
    await sleep(1_600);
    expect(await app.cache.getOrSet('k', async () => 'v2', ENTRY)).toBe('v2');
  });

  it('retries at every call with failureThrottle 0, and per call', async () => {
    const app = await start({ failureThrottle: 0 });
    await app.cache.getOrSet('k', async () => 'v1', ENTRY);
    await sleep(150);
    const failing = failingLoader();
    for (let call = 0; call < 5; call += 1) expect(await app.cache.getOrSet('k', failing.load, ENTRY)).toBe('v1');
    expect(failing.calls()).toBe(5);
    for (let call = 0; call < 5; call += 1) expect(await app.cache.getOrSet('k', failing.load, { ...ENTRY, failureThrottle: '1m' })).toBe('v1');
    expect(failing.calls()).toBe(6);
    await expect(app.cache.getOrSet('k', failing.load, { ...ENTRY, failureThrottle: 'soon' as never })).rejects.toThrow(/'failureThrottle'/);
  });
});

describe('failure throttle across instances', () => {
  it('ends as soon as another instance wrote a fresh value', async () => {
    const namespace = uniqueNamespace('thr');
    const [a, b] = [await startCacheApp({ namespace, l2: { redis: redisUrl() } }), await startCacheApp({ namespace, l2: { redis: redisUrl() } })];
    try {
      await a.cache.getOrSet('k', async () => 'v1', ENTRY);
      await sleep(150);
      expect(await a.cache.getOrSet('k', () => Promise.reject(new Error('down')), ENTRY)).toBe('v1');
      await b.cache.set('k', 'v2', { ttl: '1h' });
      await sleep(100);
      expect(await a.cache.getOrSet('k', () => Promise.reject(new Error('down')), ENTRY)).toBe('v2');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
