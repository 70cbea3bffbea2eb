import { Redis } from 'ioredis';
import { PendingWriteStore } from '../libs/cache/src/write-behind/pending-write.store.js';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

/** The pending-record scripts that order writes, against a real Redis. */
describe('write-behind pending records', () => {
  let redis: Redis;
  let store: PendingWriteStore;

  beforeAll(() => {
    redis = new Redis(redisUrl());
  });
  beforeEach(() => {
    store = new PendingWriteStore(redis, `{wb}:${uniqueNamespace()}`);
  });
  afterAll(() => redis.quit());

  it('keeps the newest write: an older sequence arriving late is refused', async () => {
    expect(await store.record('k', 'W.save', ['v2'], 200)).toBe(true);
    expect(await store.record('k', 'W.save', ['v1'], 100)).toBe(false);
    expect(await store.read('k')).toMatchObject({ args: ['v2'], sequence: 200 });
  });

  it('fences an older pending write before a synchronous one, and the tombstone refuses older writes arriving late', async () => {
    await store.record('k', 'W.save', ['v1'], 100);
    expect(await store.fence('k', 'W.save', ['v2'], 200)).toBe('fenced');
    expect(await store.read('k')).toBeUndefined();
    expect(await store.claim('k', 'worker', 5_000)).toEqual({ state: 'none' });
    expect(await store.record('k', 'W.save', ['v1'], 150)).toBe(false);
    expect(await store.record('k', 'W.save', ['v3'], 300)).toBe(true);
  });

  it('leaves a newer pending write alone', async () => {
    await store.record('k', 'W.save', ['v3'], 300);
    expect(await store.fence('k', 'W.save', ['v2'], 200)).toBe('newer');
    expect(await store.read('k')).toMatchObject({ args: ['v3'] });
  });

  it('hands a synchronous write to the worker persisting the key, which then sees a newer version', async () => {
    await store.record('k', 'W.save', ['v1'], 100);
    expect(await store.claim('k', 'worker', 5_000)).toEqual({ state: 'claimed' });
    const claimed = await store.read('k');
    expect(await store.fence('k', 'W.save', ['v2'], 200)).toBe('handed');
    expect(await store.settle('k', 'worker', claimed?.version ?? '')).toBe('changed');
    expect(await store.read('k')).toMatchObject({ args: ['v2'], sequence: 200 });
  });

  it('one lease per key: a second owner waits, a lost lease cannot settle', async () => {
    await store.record('k', 'W.save', ['v1'], 100);
    expect(await store.claim('k', 'first', 5_000)).toEqual({ state: 'claimed' });
    const busy = await store.claim('k', 'second', 5_000);
    expect(busy.state).toBe('busy');
    expect(busy.state === 'busy' && busy.retryIn).toBeGreaterThan(0);
    const { version } = (await store.read('k'))!;
    expect(await store.settle('k', 'second', version)).toBe('lost');
    await store.release('k', 'first');
    expect(await store.claim('k', 'second', 5_000)).toEqual({ state: 'claimed' });
    expect(await store.settle('k', 'second', version)).toBe('settled');
    expect(await store.read('k')).toBeUndefined();
  });
});
