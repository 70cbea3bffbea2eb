import type { Logger } from '@nestjs/common';
import type { Loader, ReadThroughPlan } from '../read-through/read-through.js';
import { LoaderContextState } from '../read-through/loader-context.js';
import type { CacheStats } from '../stats/cache-stats.js';
import type { TieredStore } from '../stores/tiered.store.js';

/**
 * Background refreshes of entries read past their `refreshAt` point: the reader gets the cached value at
 * once, and one refresh runs per key in this process and, through the load lock, across all instances.
 */
export class RefreshAhead {
  private readonly running = new Set<string>();
  private counter = 0;

  constructor(
    private readonly tiered: TieredStore,
    private readonly stats: CacheStats,
    private readonly logger: Logger,
    private readonly lock: { ttl: number; owner: string },
  ) {}

  /**
   * Starts a background refresh of `key` (callers check {@link isRefreshDue} first) unless one is already
   * running here; never waits, never throws.
   */
  start<T>(key: string, loader: Loader<T>, plan: ReadThroughPlan): void {
    if (this.running.has(key)) return;
    this.running.add(key);
    void this.refresh(key, loader, plan).finally(() => this.running.delete(key));
  }

  private async refresh<T>(key: string, loader: Loader<T>, plan: ReadThroughPlan): Promise<void> {
    const tags = await this.tiered.snapshotTags(plan.tags);
    const token = `${this.lock.owner}:refresh:${++this.counter}`;
    if (this.tiered.l2) {
      const acquired = await this.tiered.guard('l2', 'get', () => this.tiered.l2!.tryLock(key, token, this.lock.ttl));
      if (acquired === false) return this.record('skipped');
    }
    const locked = this.tiered.l2 ? token : undefined;
    const context = new LoaderContextState<T>(key, undefined, { ttl: plan.ttl, grace: plan.grace, tags: plan.tags, l1: plan.l1 });
    try {
      const started = Date.now();
      const value = await loader(context);
      context.plan.loadDuration = Date.now() - started;
      const cacheable = plan.shouldCache ? plan.shouldCache(value) : value !== undefined;
      const snapshot = context.tagsChanged ? { ...(await this.tiered.snapshotTags(context.plan.tags)), position: tags.position } : tags;
      if (!context.skipped && cacheable) await this.tiered.write(key, value, context.plan, snapshot, locked);
      else if (locked) await this.tiered.guard('l2', 'delete', () => this.tiered.l2!.releaseLock(key, locked));
      this.record('refreshed');
    } catch (error) {
      if (locked) await this.tiered.guard('l2', 'delete', () => this.tiered.l2!.releaseLock(key, locked));
      this.logger.warn(`Refresh ahead of '${key}' failed: ${error instanceof Error ? error.message : String(error)}`);
      this.record('failed');
    }
  }

  private record(result: 'refreshed' | 'skipped' | 'failed'): void {
    this.stats.refreshAhead[result] += 1;
  }
}
