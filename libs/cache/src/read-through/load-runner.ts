import type { CacheEvents } from '../events/cache.events.js';
import type { CacheStats } from '../stats/cache-stats.js';
import type { RedisBudget } from '../stores/redis-budget.js';
import type { LockMode } from '../stores/redis.store.js';
import type { TagSnapshot, TieredStore } from '../stores/tiered.store.js';
import { LoaderContextState } from './loader-context.js';
import type { Loader, LockSettings, ReadThroughPlan } from './read-through.js';

/** A load's claim on its key: the token it writes with, and whether another holder has the lock. */
export interface LoadClaim {
  token: string;
  /** `true` when another instance holds the lock (mode `nx` only). */
  held: boolean;
}

/** One load: what to run, how to cache it, and the state read before it started. */
export interface LoadAttempt<T> {
  key: string;
  loader: Loader<T>;
  plan: ReadThroughPlan;
  staleValue: T | undefined;
  tags: TagSnapshot;
  token: string;
  budget: RedisBudget;
  /** Tell other instances once written: a refresh replaces a value they may hold. */
  publish: boolean;
}

/**
 * Runs a loader and stores what it returns, holding the key's cross-instance load lock: shared by
 * read-through loads and background refreshes. Every load writes L2 only through its lock, which a
 * delete, a newer write or a clear removes, so a load can never put back a value older than them.
 */
export class LoadRunner {
  private lockCounter = 0;

  constructor(
    private readonly tiered: TieredStore,
    private readonly stats: CacheStats,
    private readonly lock: LockSettings,
    private readonly events: CacheEvents,
  ) {}

  /**
   * Claims `key`'s load lock with a new token. When Redis does not answer, the claim is not known to
   * hold: the load goes on, and its write succeeds only if the lock request did land in time.
   */
  async claim(key: string, mode: LockMode, budget: RedisBudget): Promise<LoadClaim> {
    const token = `${this.lock.owner}:${++this.lockCounter}`;
    const l2 = this.tiered.l2;
    if (!l2) return { token, held: false };
    const acquired = await this.tiered.guard('get', (deadline) => l2.takeLock(key, token, this.lock.ttl, mode, deadline), budget);
    return { token, held: acquired === false };
  }

  /** Releases `key`'s load lock if `token` still holds it; never throws. */
  release(key: string, token: string): void {
    this.tiered.releaseLock(key, token);
  }

  /** Runs the loader; caches its result unless skipped or not cacheable; the lock is released either way. */
  async loadAndStore<T>({ key, loader, plan, staleValue, tags, token, budget, publish }: LoadAttempt<T>): Promise<T> {
    const context = new LoaderContextState<T>(key, staleValue, { ttl: plan.ttl, grace: plan.grace, tags: plan.tags, l1: plan.l1, jitter: plan.jitter });
    const stop = this.stats.time('load', 'loader');
    const started = Date.now();
    const heartbeat = this.keepLocked(key, token);
    this.stats.loads += 1;
    let value: T;
    try {
      value = await loader(context);
    } catch (error) {
      this.release(key, token);
      throw error;
    } finally {
      clearInterval(heartbeat);
      stop();
    }
    context.plan.loadDuration = Date.now() - started;
    if (this.events.listening.loaded) this.events.emit('loaded', { key, duration: context.plan.loadDuration });
    const cacheable = plan.shouldCache ? plan.shouldCache(value) : value !== undefined;
    if (context.skipped || !cacheable) {
      this.release(key, token);
      return value;
    }
    try {
      const snapshot = context.tagsChanged ? await this.resnapshot(context.plan.tags, context.plan.ttl + context.plan.grace, tags, budget) : tags;
      return await this.tiered.write(key, value, context.plan, snapshot, { kind: 'load', token, publish }, budget);
    } catch (error) {
      this.release(key, token);
      throw error;
    }
  }

  /** Extends the lock while a slow loader runs, so no other instance starts the same load. */
  private keepLocked(key: string, token: string): NodeJS.Timeout | undefined {
    const l2 = this.tiered.l2;
    if (!l2) return undefined;
    const extend = async (): Promise<void> => {
      if (!(await l2.extendLock(key, token, this.lock.ttl).catch(() => true))) clearInterval(timer);
    };
    const timer = setInterval(() => void extend(), this.lock.ttl / 3);
    timer.unref();
    return timer;
  }

  private async resnapshot(tags: readonly string[], lifetime: number, before: TagSnapshot, budget: RedisBudget): Promise<TagSnapshot> {
    return { ...(await this.tiered.snapshotTags(tags, lifetime, budget)), position: before.position };
  }
}
