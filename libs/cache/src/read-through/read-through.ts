import type { Logger } from '@nestjs/common';
import type { InvalidationMessage } from '../invalidation/invalidation-message.js';
import { entryValue } from '../serialization/envelope.codec.js';
import type { CacheStats } from '../stats/cache-stats.js';
import type { CacheEntry } from '../stores/cache-entry.interface.js';
import type { EntryPlan, TieredStore } from '../stores/tiered.store.js';
import { OperationTimeoutError, withTimeout } from '../timing/with-timeout.js';
import type { RefreshAhead } from '../refresh/refresh-ahead.js';
import { isRefreshDue, type RefreshAt } from '../refresh/refresh-policy.js';
import { LOCK_HELD, type LoadAttempt, type LoadRunner } from './load-runner.js';
import type { LoaderContext } from './loader-context.js';

/** A loader for `getOrSet`. */
export type Loader<T> = (context: LoaderContext<T>) => Promise<T> | T;

/** How one read-through call caches, durations in milliseconds. */
export interface ReadThroughPlan extends EntryPlan {
  /** Past ttl, how long to wait for the loader before serving the stale value. */
  timeout: number | undefined;
  /** Which results are cached; by default everything but `undefined`. */
  shouldCache: ((value: unknown) => boolean) | undefined;
  /** Refresh a fresh entry in the background once it is this far into its ttl. */
  refreshAt?: RefreshAt;
}

/** Settings of the cross-instance lock, in milliseconds. */
export interface LockSettings {
  /** How long a cold read waits for another instance's load before loading itself. */
  wait: number;
  /** How long a lock lives if its holder never releases it. */
  ttl: number;
  /** Prefix of lock tokens, unique per instance. */
  owner: string;
}

interface StaleValue<T> {
  value: T;
  createdAt: number;
}


const FIRST_POLL_DELAY = 10;
const LONGEST_POLL_DELAY = 100;

/**
 * Read-through with stampede protection: concurrent misses of one key in this process share one load;
 * across processes a Redis lock lets one instance load while the others wait for its result. Past ttl
 * within grace, a failing or slow loader yields the stale value.
 */
export class ReadThrough {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly tiered: TieredStore,
    private readonly stats: CacheStats,
    private readonly logger: Logger,
    private readonly lock: LockSettings,
    private readonly runner: LoadRunner,
    private readonly refreshAhead: RefreshAhead,
  ) {}

  /** Loads `key` after an L1 miss (or a stale L1 entry), sharing the load with concurrent callers. */
  load<T>(key: string, loader: Loader<T>, plan: ReadThroughPlan, l1Entry: CacheEntry<T> | undefined, refreshing: boolean): Promise<T> {
    if (!refreshing) {
      const shared = this.inFlight.get(key);
      if (shared !== undefined) {
        this.stats.coalesced += 1;
        return shared as Promise<T>;
      }
    }
    const promise: Promise<T> = this.resolve(key, loader, plan, l1Entry, refreshing).finally(() => {
      if (this.inFlight.get(key) === promise) this.inFlight.delete(key);
    });
    if (!refreshing) this.inFlight.set(key, promise);
    return promise;
  }

  /** New callers must not join a load that an invalidation has made stale. */
  forget(message: InvalidationMessage): void {
    if (message.clear || message.tags?.length) {
      this.inFlight.clear();
      return;
    }
    for (const key of message.keys ?? []) this.inFlight.delete(key);
  }

  private async resolve<T>(
    key: string,
    loader: Loader<T>,
    plan: ReadThroughPlan,
    l1Entry: CacheEntry<T> | undefined,
    refreshing: boolean,
  ): Promise<T> {
    let stale = l1Entry && l1Entry.staleUntil > Date.now() ? { value: l1Entry.value, createdAt: l1Entry.createdAt } : undefined;
    const tags = await this.tiered.snapshotTags(plan.tags);
    if (!refreshing && this.tiered.l2) {
      const found = await this.tiered.readL2(key);
      if (found && found.freshUntil > Date.now()) {
        this.stats.hits.l2 += 1;
        if (plan.refreshAt !== undefined && isRefreshDue(found, plan.refreshAt, Date.now())) this.refreshAhead.start(key, loader, plan);
        return this.tiered.promote<T>(key, found, tags.position, plan.l1);
      }
      this.stats.misses.l2 += 1;
      if (found && found.staleUntil > Date.now() && (!stale || found.createdAt > stale.createdAt)) {
        stale = { value: entryValue<T>(found), createdAt: found.createdAt };
      }
    }
    let lockToken: string | undefined;
    if (!refreshing && this.tiered.l2) {
      const lock = await this.runner.tryLock(key);
      if (lock === LOCK_HELD) {
        if (stale) return this.serveStale(key, stale, 'another instance is refreshing it');
        const outcome = await this.awaitOtherLoader<T>(key, tags.position, plan.l1);
        if (outcome && 'value' in outcome) return outcome.value;
        lockToken = outcome?.token;
      } else {
        lockToken = lock;
      }
    }
    return this.runLoader(key, stale, { key, loader, plan, staleValue: stale?.value, tags, lockToken });
  }

  private async runLoader<T>(key: string, stale: StaleValue<T> | undefined, attempt: LoadAttempt<T>): Promise<T> {
    const { plan } = attempt;
    const loading = this.runner.loadAndStore(attempt);
    try {
      if (!stale || plan.timeout === undefined) return await loading;
      return await withTimeout(loading, plan.timeout, `the loader took longer than ${plan.timeout}ms`);
    } catch (error: unknown) {
      if (!stale) throw error;
      if (!(error instanceof OperationTimeoutError)) return this.serveStale(key, stale, `the loader failed: ${describe(error)}`);
      // NOTE: the late load goes on and still lands in the cache; only its failure is left to report.
      loading.catch((late: unknown) => this.logger.warn(`Late load of '${key}' failed: ${describe(late)}`));
      return this.serveStale(key, stale, error.message);
    }
  }

  private serveStale<T>(key: string, stale: StaleValue<T>, reason: string): T {
    this.stats.staleHits += 1;
    this.logger.warn(`Serving stale '${key}': ${reason}`);
    return stale.value;
  }

  /** Polls for the other instance's result; takes over the lock if it is released without one. */
  private async awaitOtherLoader<T>(key: string, position: number, useL1: boolean | undefined): Promise<{ value: T } | { token: string } | undefined> {
    const deadline = Date.now() + this.lock.wait;
    for (let pause = FIRST_POLL_DELAY; Date.now() < deadline; pause = Math.min(pause * 2, LONGEST_POLL_DELAY)) {
      await sleep(pause);
      const found = await this.tiered.readL2(key);
      if (found && found.freshUntil > Date.now()) {
        this.stats.hits.l2 += 1;
        return { value: this.tiered.promote<T>(key, found, position, useL1) };
      }
      const lock = await this.runner.tryLock(key);
      if (lock === undefined) return undefined;
      if (lock !== LOCK_HELD) return { token: lock };
    }
    return undefined;
  }
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds).unref());
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
