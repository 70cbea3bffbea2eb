import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { CacheService } from '../../libs/cache/src/cache.service.js';
import { createCacheEngine } from '../../libs/cache/src/engine/cache-engine.factory.js';
import type { InvalidationBus } from '../../libs/cache/src/invalidation/invalidation-bus.js';
import { InvalidationLog } from '../../libs/cache/src/invalidation/invalidation-log.js';
import type { InvalidationMessage } from '../../libs/cache/src/invalidation/invalidation-message.js';
import { PendingInvalidations } from '../../libs/cache/src/invalidation/pending-invalidations.js';
import type { CacheModuleOptions } from '../../libs/cache/src/options/cache-options.interface.js';
import { resolveCacheOptions } from '../../libs/cache/src/options/cache-options.validator.js';
import { deserialize } from '../../libs/cache/src/serialization/value.serializer.js';
import { CacheEvents } from '../../libs/cache/src/events/cache.events.js';
import { CacheStats } from '../../libs/cache/src/stats/cache-stats.js';
import { MemoryStore } from '../../libs/cache/src/stores/memory.store.js';
import { ControllableL2 } from '../support/controllable-l2.js';
import { CacheLoadTimeoutError, CacheSerializationError, RedisUnavailableError } from '../../libs/cache/src/cache.errors.js';

/** Records what the cache publishes to other instances. */
class RecordingBus implements InvalidationBus {
  readonly instanceId = 'race-test';
  readonly published: InvalidationMessage[] = [];
  publish(message: InvalidationMessage): void {
    this.published.push(message);
  }
  onRemoteInvalidation(): void {}
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

function cacheOver(l2: ControllableL2, options: Partial<CacheModuleOptions> = {}): { cache: CacheService; bus: RecordingBus } {
  const resolved = resolveCacheOptions({ namespace: 'race', l2: { redis: 'redis://127.0.0.1:1' }, ...options });
  const stats = new CacheStats();
  const log = new InvalidationLog();
  const l1 = resolved.l1 ? new MemoryStore(resolved.l1, log, stats) : null;
  const bus = new RecordingBus();
  const engine = createCacheEngine(resolved, l1, l2, bus, log, new PendingInvalidations(new Logger('races')), stats, new CacheEvents());
  return { cache: new CacheService(engine), bus };
}

function storedValue(l2: ControllableL2, key: string): unknown {
  const entry = l2.entries.get(key);
  return entry && deserialize(entry.bytes);
}

/** Lets every pending promise callback run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('races above the store (controllable L2)', () => {
  it.each(['first', 'second'])(
    'two concurrent writes of one key: L1 keeps the one Redis applied last (the %s reply delayed)',
    async (delayed) => {
      const l2 = new ControllableL2();
      const { cache } = cacheOver(l2);
      const gate = delayed === 'first' ? l2.pauseNext('write') : undefined;
      const first = cache.set('k', 'A');
      await settle();
      const secondGate = delayed === 'second' ? l2.pauseNext('write') : undefined;
      const second = cache.set('k', 'B');
      await settle();
      if (delayed === 'first') await second;
      else await first;
      gate?.release();
      secondGate?.release();
      await Promise.all([first, second]);
      expect(storedValue(l2, 'k')).toBe('B');
      expect(await cache.get('k')).toBe('B');
    },
  );

  it('a delete whose Redis call failed is not undone by a load that started before it', async () => {
    const l2 = new ControllableL2();
    const { cache } = cacheOver(l2);
    const loaderRuns = deferred<string>();
    const loading = cache.getOrSet('k', () => loaderRuns.promise);
    await settle();
    l2.failNext('delete');
    await cache.delete('k');
    loaderRuns.resolve('before the delete');
    expect(await loading).toBe('before the delete');
    expect(l2.entries.has('k')).toBe(false);
    expect(await cache.get('k')).toBeUndefined();
  });

  it('a refreshing (warmer) load does not overwrite a delete that landed while it ran', async () => {
    const l2 = new ControllableL2();
    const { cache } = cacheOver(l2);
    await cache.set('k', 'old');
    const loaderRuns = deferred<string>();
    const refreshing = cache.refreshing(() => cache.getOrSet('k', () => loaderRuns.promise));
    await settle();
    await cache.delete('k');
    loaderRuns.resolve('loaded before the delete');
    await refreshing;
    expect(l2.entries.has('k')).toBe(false);
    expect(await cache.get('k')).toBeUndefined();
  });

  it('a load that waited past lockWait behind a live holder does not write over the holder', async () => {
    const l2 = new ControllableL2();
    const { cache } = cacheOver(l2, { l1: false, l2: { redis: 'redis://127.0.0.1:1', lockWait: '50ms' } });
    l2.locks.set('k', 'another-instance:1');
    expect(await cache.getOrSet('k', () => 'mine')).toBe('mine');
    expect(l2.locks.get('k')).toBe('another-instance:1');
    expect(l2.entries.has('k')).toBe(false);
  });

  it('a write whose outcome is unknown (reply lost) is published, and every instance, this one too, reads Redis again', async () => {
    const l2 = new ControllableL2();
    const { cache, bus } = cacheOver(l2);
    await cache.set('k', 'old');
    bus.published.length = 0;
    l2.failNext('write', new RedisUnavailableError('no answer before the deadline', true));
    await cache.set('k', 'new');
    expect(storedValue(l2, 'k')).toBe('new');
    await settle();
    expect(bus.published).toContainEqual({ keys: ['k'] });
    l2.entries.delete('k');
    expect(await cache.get('k')).toBeUndefined();
  });

  it('a write refused before it was sent is not published', async () => {
    const l2 = new ControllableL2();
    const { cache, bus } = cacheOver(l2);
    l2.failNext('write', new RedisUnavailableError('circuit open', false));
    await cache.set('k', 'new');
    expect(bus.published).toEqual([]);
  });

  it('a miss invalidated during its load still returns a read-only copy, like every other path', async () => {
    const l2 = new ControllableL2();
    const { cache } = cacheOver(l2);
    const value = await cache.getOrSet('k', async () => {
      await cache.delete('k');
      return { price: 1 };
    });
    expect(Object.isFrozen(value)).toBe(true);
  });

  it('a tag invalidation keeps sharing loads of keys that do not carry the tag', async () => {
    const l2 = new ControllableL2();
    const { cache } = cacheOver(l2);
    const loaderRuns = deferred<string>();
    let calls = 0;
    const loader = (): Promise<string> => {
      calls += 1;
      return loaderRuns.promise;
    };
    const first = cache.getOrSet('k', loader, { tags: ['x'] });
    await settle();
    await cache.invalidateTags('unrelated');
    const second = cache.getOrSet('k', loader, { tags: ['x'] });
    loaderRuns.resolve('v');
    expect(await Promise.all([first, second])).toEqual(['v', 'v']);
    expect(calls).toBe(1);
  });

  it('a loader that never settles fails its callers after hardTimeout, and the next call loads again', async () => {
    const l2 = new ControllableL2();
    const { cache } = cacheOver(l2);
    const never = new Promise<string>(() => undefined);
    await expect(cache.getOrSet('k', () => never, { hardTimeout: 100 })).rejects.toBeInstanceOf(CacheLoadTimeoutError);
    expect(await cache.getOrSet('k', () => 'second', { hardTimeout: 100 })).toBe('second');
  });

  it('a value that cannot be serialized releases its load lock at once', async () => {
    const l2 = new ControllableL2();
    const { cache } = cacheOver(l2);
    await expect(cache.getOrSet('k', () => ({ run: () => 1 }))).rejects.toBeInstanceOf(CacheSerializationError);
    await settle();
    expect(l2.locks.has('k')).toBe(false);
  });

  it('extends the load lock while a slow loader runs', async () => {
    const l2 = new ControllableL2();
    const { cache } = cacheOver(l2);
    const value = await cache.getOrSet('k', () => new Promise((resolve) => setTimeout(() => resolve('slow'), 1_500)));
    expect(value).toBe('slow');
    expect(l2.calls.filter((call) => call.operation === 'extendLock').length).toBeGreaterThanOrEqual(1);
    expect(storedValue(l2, 'k')).toBe('slow');
  });

  it('sends one invalidation per distinct tag and key', async () => {
    const l2 = new ControllableL2();
    const { cache, bus } = cacheOver(l2);
    await cache.invalidateTags('category:a', 'category:a');
    await cache.delete('k', 'k');
    expect(l2.tags.get('category:a')).toBe(1_001_001);
    await settle();
    expect(bus.published).toEqual([{ tags: ['category:a'] }, { keys: ['k'] }]);
  });

  it('a read while a clear is still scanning does not bring a cleared entry back into L1', async () => {
    const l2 = new ControllableL2();
    const { cache } = cacheOver(l2);
    await cache.set('k', 'before the clear');
    const scanning = deferred<void>();
    l2.clearReached = scanning.promise;
    const clearing = cache.clear();
    await settle();
    expect(await cache.get('k')).toBeUndefined();
    scanning.resolve();
    await clearing;
    expect(await cache.get('k')).toBeUndefined();
  });

  it('a batch read that found a key missing reads back the value written before its lock request instead of loading it', async () => {
    const l2 = new ControllableL2();
    const { cache: writer } = cacheOver(l2);
    const { cache } = cacheOver(l2);
    const loads: string[][] = [];
    const gate = l2.pauseNext('readMany');
    const reading = cache.getManyOrSet(['k', 'other'], async (keys) => {
      loads.push(keys);
      return keys.map(() => 'loaded');
    });
    await gate.reached;

    await writer.set('k', 'written meanwhile');
    gate.release();

    expect(await reading).toEqual(['written meanwhile', 'loaded']);
    expect(loads).toEqual([['other']]);
  });
});
