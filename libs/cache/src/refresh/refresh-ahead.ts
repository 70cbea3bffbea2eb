import type { Logger } from '@nestjs/common';
import type { LoadRunner } from '../read-through/load-runner.js';
import type { Loader, ReadThroughPlan } from '../read-through/read-through.js';
import type { CacheStats } from '../stats/cache-stats.js';
import type { TieredStore } from '../stores/tiered.store.js';
import { errorMessage } from '../cache.errors.js';

/**
 * Background refreshes of entries read past their `refreshAt` point: the reader gets the cached value at
 * once, and one refresh runs per key in this process and, through the load lock, across all instances.
 */
export class RefreshAhead {
  private readonly running = new Set<string>();

  constructor(
    private readonly tiered: TieredStore,
    private readonly runner: LoadRunner,
    private readonly stats: CacheStats,
    private readonly logger: Logger,
  ) {}

  /**
   * Starts a background refresh of `key` (callers check `isRefreshDue` first) unless one is already
   * running here; never waits, never throws.
   */
  start<T>(key: string, loader: Loader<T>, plan: ReadThroughPlan): void {
    if (this.running.has(key)) return;
    this.running.add(key);
    void this.refresh(key, loader, plan).finally(() => this.running.delete(key));
  }

  private async refresh<T>(key: string, loader: Loader<T>, plan: ReadThroughPlan): Promise<void> {
    const budget = this.tiered.budget();
    const [tags, claim] = await Promise.all([this.tiered.snapshotTags(plan.tags, plan.ttl + plan.grace, budget), this.runner.claim(key, 'nx', budget)]);
    if (claim.held) return this.record('skipped');
    try {
      await this.runner.loadAndStore({ key, loader, plan, staleValue: undefined, tags, token: claim.token, budget, publish: true });
      this.record('refreshed');
    } catch (error) {
      this.logger.warn(`Refresh ahead of '${key}' failed: ${errorMessage(error)}`);
      this.record('failed');
    }
  }

  private record(result: 'refreshed' | 'skipped' | 'failed'): void {
    this.stats.refreshAhead[result] += 1;
  }
}
