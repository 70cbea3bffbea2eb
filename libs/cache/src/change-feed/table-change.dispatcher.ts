import type { Logger } from '@nestjs/common';
import type { CacheService } from '../cache.service.js';
import type { InvalidationBus } from '../invalidation/invalidation-bus.js';
import { MAX_CHANGES_PER_TRANSACTION } from './change-feed.session.js';
import type { ChangeFeedStats } from './change-feed.stats.js';
import type { ChangeInvalidation, TableChange, TableChangeHandler } from './table-change.interface.js';

/** A discovered handler, bound to its provider. */
export interface BoundTableHandler {
  /** `Class.method`, for logs. */
  name: string;
  handle: TableChangeHandler;
}

const REDIS_POLL_INTERVAL = 50;

/**
 * Runs the handlers of a committed transaction's changes, in order, and invalidates what they return in
 * one go; resolves only once those invalidations reached Redis (none is waiting for a retry) and were
 * published to the other instances, which is when the feed may confirm the transaction.
 */
export class TableChangeDispatcher {
  private stopped = false;

  constructor(
    /** Handlers by qualified table name (`public.products`). */
    private readonly handlers: ReadonlyMap<string, readonly BoundTableHandler[]>,
    private readonly cache: CacheService,
    private readonly bus: InvalidationBus,
    private readonly stats: ChangeFeedStats,
    private readonly logger: Logger,
  ) {}

  /** `overflowed`: the transaction had too many changes to hold; the namespace is cleared instead. */
  async deliver(changes: readonly TableChange[], overflowed = false): Promise<void> {
    const keys = new Set<string>();
    const tags = new Set<string>();
    let failed = overflowed;
    if (overflowed) this.logger.warn(`A transaction changed more than ${MAX_CHANGES_PER_TRANSACTION} rows; clearing the namespace instead of running handlers`);
    for (const change of changes) {
      this.stats.changes += 1;
      for (const handler of this.handlers.get(`${change.schema}.${change.table}`) ?? []) {
        try {
          collect(await handler.handle(change), keys, tags);
        } catch (error) {
          failed = true;
          this.stats.recordError('handler');
          this.logger.error(`@OnTableChange handler ${handler.name} failed on ${change.operation} of ${change.schema}.${change.table}: ${String(error)}`);
        }
      }
    }
    await this.invalidate(failed, keys, tags);
    this.stats.transactions += 1;
  }

  /** Stops waiting for Redis: the transaction being delivered is left unconfirmed (replayed later). */
  stop(): void {
    this.stopped = true;
  }

  // NOTE: a handler that failed (or returned an invalid key), or a transaction too large to hold, leaves
  // unknown entries stale; clearing the namespace is the only safe answer.
  private async invalidate(failed: boolean, keys: Set<string>, tags: Set<string>): Promise<void> {
    try {
      if (failed) await this.cache.clear();
      if (!failed && keys.size > 0) await this.cache.delete(...keys);
      if (!failed && tags.size > 0) await this.cache.invalidateTags(...tags);
      this.stats.invalidations += keys.size + tags.size;
    } catch (error) {
      this.stats.recordError('handler');
      this.logger.error(`@OnTableChange handlers returned an invalid key or tag (${String(error)}); clearing the namespace`);
      await this.cache.clear();
    }
    while (this.cache.hasPendingInvalidations || !((await this.bus.publishQueued?.()) ?? true)) {
      if (this.stopped) throw new Error('change feed stopped before its invalidations reached Redis');
      await new Promise((resolve) => setTimeout(resolve, REDIS_POLL_INTERVAL));
    }
  }
}

function collect(result: ChangeInvalidation | void, keys: Set<string>, tags: Set<string>): void {
  if (!result) return;
  for (const key of result.keys ?? []) keys.add(key);
  for (const tag of result.tags ?? []) tags.add(tag);
}
