import type { Logger } from '@nestjs/common';
import type { CacheEvents } from '../events/cache.events.js';
import type { EncodedEntry } from '../serialization/envelope.codec.js';
import type { CacheStats } from '../stats/cache-stats.js';
import type { RedisBudget } from '../stores/redis-budget.js';
import type { EntryPlan, TieredStore } from '../stores/tiered.store.js';
import { withTimeout } from '../timing/with-timeout.js';
import type { RefreshAt } from '../refresh/refresh-policy.js';
import type { LoadAttempt, LoadRunner } from './load-runner.js';
import type { LoaderContext } from './loader-context.js';
import { CacheLoadTimeoutError, OperationTimeoutError, errorMessage } from '../cache.errors.js';
import { FailureThrottle } from './failure-throttle.js';
import { sleep } from '../timing/sleep.js';

/** A loader for `getOrSet`. */
export type Loader<T> = (context: LoaderContext<T>) => Promise<T> | T;

/** How one read-through call caches, durations in milliseconds. */
export interface ReadThroughPlan extends EntryPlan {
  /** Past ttl, how long to wait for the loader before serving the stale value. */
  timeout: number | undefined;
  /** How long callers wait for a loader that never settles before they get an error (or the stale value). */
  hardTimeout?: number;
  /** Which results are cached; by default everything but `undefined`. */
  shouldCache: ((value: unknown) => boolean) | undefined;
  /** Refresh a fresh entry in the background once it is this far into its ttl. */
  refreshAt?: RefreshAt;
  /** After a failed load within grace, how long the stale value is served without loading; default the module's. */
  failureThrottle?: number;
}

/** Settings of the cross-instance lock, in milliseconds. */
export interface LockSettings {
  /** How long a cold read waits for another instance's load before loading itself. */
  wait: number;
  /** How long a lock lives unless its holder extends it (it does while the loader runs). */
  ttl: number;
  /** Prefix of lock tokens, unique per instance. */
  owner: string;
}

/** A value past its ttl but within grace: what a failing or slow load falls back to. */
export interface StaleValue<T> {
  value: T;
  createdAt: number;
}

/** Where one read stands when it has to load: its Redis budget and the invalidation log's position before its L2 read. */
export interface LoadContext<T> {
  budget: RedisBudget;
  position: number;
  /** Inside `refreshing(fn)`: the load takes the lock from any holder and tells other instances. */
  refreshing: boolean;
  /** The value of a fresh entry the lock request read back, counted as an L2 hit and copied into L1. */
  serveFound(entry: EncodedEntry): T;
}

const FIRST_POLL_DELAY = 10;
const LONGEST_POLL_DELAY = 100;
/** Default of `hardTimeout`: generous, but a loader that never settles cannot hang its key forever. */
export const DEFAULT_HARD_TIMEOUT = 60_000;

/**
 * The miss side of the read path, after L1 and L2: across processes a Redis lock lets one instance load
 * while the others wait for its result. Past ttl within grace, a failing or slow loader yields the stale value.
 */
export class ReadThrough {
  private readonly throttle = new FailureThrottle();

  constructor(
    private readonly tiered: TieredStore,
    private readonly stats: CacheStats,
    private readonly logger: Logger,
    private readonly lock: LockSettings,
    private readonly runner: LoadRunner,
    private readonly events: CacheEvents,
    /** The module's `failureThrottle`, in milliseconds. */
    private readonly failureThrottle: number,
  ) {}

  /**
   * Runs `loader` under `key`'s lock, or waits for the instance holding it; `stale` is the fallback, served
   * without loading while the failure throttle holds.
   */
  async load<T>(key: string, loader: Loader<T>, plan: ReadThroughPlan, stale: StaleValue<T> | undefined, context: LoadContext<T>): Promise<T> {
    if (stale && this.throttle.holds(key, stale.createdAt)) return this.serveStale(key, stale, 'failure throttle', false);
    const { budget, position, refreshing } = context;
    // NOTE: a refresh replaces whatever load is running: its result is newer.
    const [tags, claim] = await Promise.all([
      this.tiered.snapshotTags(plan.tags, plan.ttl + plan.grace, budget),
      this.runner.claim(key, refreshing ? 'take' : 'nx', budget, !refreshing),
    ]);
    if (claim.found) return context.serveFound(claim.found);
    const attempt = { key, loader, plan, staleValue: stale?.value, tags: { ...tags, position }, budget, publish: refreshing };
    if (!claim.held) return this.runLoader(key, stale, { ...attempt, token: claim.token });
    if (stale) return this.serveStale(key, stale, 'another instance is refreshing it');
    const outcome = await this.awaitOtherLoader(key, context);
    if ('found' in outcome) return outcome.found.value;
    // NOTE: past lockWait with the lock still held (its holder extends it while loading), this caller loads
    // too but cannot write: the slow load's result is the one cached. A dead holder's lock expires within its ttl.
    return this.runLoader(key, stale, { ...attempt, token: outcome.token });
  }

  private async runLoader<T>(key: string, stale: StaleValue<T> | undefined, attempt: LoadAttempt<T>): Promise<T> {
    const { plan } = attempt;
    const loading = this.runner.loadAndStore(attempt);
    const softTimeout = stale ? plan.timeout : undefined;
    const hardTimeout = plan.hardTimeout ?? DEFAULT_HARD_TIMEOUT;
    try {
      if (softTimeout === undefined || softTimeout >= hardTimeout) return await withTimeout(loading, hardTimeout, `the loader took longer than ${hardTimeout}ms`, true);
      return await withTimeout(loading, softTimeout, `the loader took longer than ${softTimeout}ms`);
    } catch (error: unknown) {
      if (!(error instanceof OperationTimeoutError)) {
        if (!stale) throw error;
        this.throttle.start(key, plan.failureThrottle ?? this.failureThrottle, stale.createdAt);
        return this.serveStale(key, stale, `the loader failed: ${errorMessage(error)}`);
      }
      // NOTE: the late load goes on and still lands in the cache (through its lock); only its failure is left to report.
      loading.catch((late: unknown) => this.logger.warn(`Late load of '${key}' failed: ${errorMessage(late)}`));
      if (stale) return this.serveStale(key, stale, error.message);
      // NOTE: the next call may load again at once; the hung load's late write is refused.
      this.runner.release(key, attempt.token);
      throw new CacheLoadTimeoutError(key, hardTimeout);
    }
  }

  // NOTE: not logged while the failure throttle holds: the failure that started it was, once.
  private serveStale<T>(key: string, stale: StaleValue<T>, reason: string, log = true): T {
    this.stats.staleHits += 1;
    if (log) this.logger.warn(`Serving stale '${key}': ${reason}`);
    if (this.events.listening.stale) this.events.emit('stale', { key, reason });
    return stale.value;
  }

  /**
   * Polls for the other instance's result until `lockWait`. Claims the lock when it is released without
   * one; otherwise returns a token that does not hold it.
   * NOTE: one round trip per poll: the lock request reads back the entry the holder wrote.
   */
  private async awaitOtherLoader<T>(key: string, { budget, serveFound }: LoadContext<T>): Promise<{ found: { value: T } } | { token: string }> {
    const deadline = Date.now() + this.lock.wait;
    for (let pause = FIRST_POLL_DELAY; ; pause = Math.min(pause * 2, LONGEST_POLL_DELAY)) {
      await sleep(Math.max(0, Math.min(pause, deadline - Date.now())));
      const claim = await this.runner.claim(key, 'nx', budget, true);
      if (claim.found) return { found: { value: serveFound(claim.found) } };
      if (!claim.held || Date.now() >= deadline) return { token: claim.token };
    }
  }
}
