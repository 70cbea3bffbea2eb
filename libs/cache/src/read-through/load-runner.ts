import type { CacheStats } from '../stats/cache-stats.js';
import type { TagSnapshot, TieredStore } from '../stores/tiered.store.js';
import { LoaderContextState } from './loader-context.js';
import type { Loader, LockSettings, ReadThroughPlan } from './read-through.js';

/** Returned by {@link LoadRunner.tryLock} when another holder has the key's load lock. */
export const LOCK_HELD = Symbol('lock held');

/** One load: what to run, how to cache it, and the state read before it started. */
export interface LoadAttempt<T> {
  key: string;
  loader: Loader<T>;
  plan: ReadThroughPlan;
  staleValue: T | undefined;
  tags: TagSnapshot;
  lockToken: string | undefined;
}

/**
 * Runs a loader and stores what it returns, holding the key's cross-instance load lock: shared by
 * read-through loads and background refreshes.
 */
export class LoadRunner {
  private lockCounter = 0;

  constructor(
    private readonly tiered: TieredStore,
    private readonly stats: CacheStats,
    private readonly lock: LockSettings,
  ) {}

  /** Takes `key`'s load lock: its token, {@link LOCK_HELD}, or `undefined` when Redis is off or failing. */
  async tryLock(key: string): Promise<string | typeof LOCK_HELD | undefined> {
    const l2 = this.tiered.l2;
    if (!l2) return undefined;
    const token = `${this.lock.owner}:${++this.lockCounter}`;
    const acquired = await this.tiered.guard('l2', 'get', () => l2.tryLock(key, token, this.lock.ttl));
    if (acquired === undefined) return undefined;
    return acquired ? token : LOCK_HELD;
  }

  /** Releases `key`'s load lock if `token` still holds it; never throws. */
  release(key: string, token: string | undefined): void {
    const l2 = this.tiered.l2;
    if (token === undefined || !l2) return;
    void this.tiered.guard('l2', 'delete', () => l2.releaseLock(key, token));
  }

  /** Runs the loader; caches its result unless skipped or not cacheable; the lock is released either way. */
  async loadAndStore<T>({ key, loader, plan, staleValue, tags, lockToken }: LoadAttempt<T>): Promise<T> {
    const context = new LoaderContextState<T>(key, staleValue, { ttl: plan.ttl, grace: plan.grace, tags: plan.tags, l1: plan.l1 });
    const stop = this.stats.time('load', 'loader');
    const started = Date.now();
    this.stats.loads += 1;
    let value: T;
    try {
      value = await loader(context);
    } catch (error) {
      this.release(key, lockToken);
      throw error;
    } finally {
      stop();
    }
    context.plan.loadDuration = Date.now() - started;
    const cacheable = plan.shouldCache ? plan.shouldCache(value) : value !== undefined;
    if (context.skipped || !cacheable) {
      this.release(key, lockToken);
      return value;
    }
    const snapshot = context.tagsChanged ? { ...(await this.tiered.snapshotTags(context.plan.tags)), position: tags.position } : tags;
    return this.tiered.write(key, value, context.plan, snapshot, lockToken);
  }
}
