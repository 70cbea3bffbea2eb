import { Logger } from '@nestjs/common';
import type { CacheEvents } from '../events/cache.events.js';
import type { InvalidationBus } from '../invalidation/invalidation-bus.js';
import type { InvalidationMessage } from '../invalidation/invalidation-message.js';
import type { InvalidationLog } from '../invalidation/invalidation-log.js';
import type { PendingInvalidations } from '../invalidation/pending-invalidations.js';
import type { ResolvedCacheOptions } from '../options/resolved-options.interface.js';
import { BatchReadThrough } from '../read-through/batch-read-through.js';
import { InFlightLoads } from '../read-through/in-flight-loads.js';
import { LoadRunner } from '../read-through/load-runner.js';
import { ReadThrough } from '../read-through/read-through.js';
import { RefreshAhead } from '../refresh/refresh-ahead.js';
import type { CacheStats } from '../stats/cache-stats.js';
import type { MemoryStore } from '../stores/memory.store.js';
import type { SharedTier } from '../stores/redis.store.js';
import { TieredStore } from '../stores/tiered.store.js';
import { CacheEngine } from './cache.engine.js';

// NOTE: short, because a holder extends its lock while its loader runs: a dead holder's lock is gone within 3 s.
const LOCK_TTL = 3_000;

/**
 * Wires one application's engine: the two tiers as one store, loads shared in this process, the load
 * lock across instances, refresh ahead; invalidations from other instances and retried ones reach them.
 */
export function createCacheEngine(
  options: ResolvedCacheOptions,
  l1: MemoryStore | null,
  l2: SharedTier | null,
  bus: InvalidationBus,
  invalidations: InvalidationLog,
  pending: PendingInvalidations,
  stats: CacheStats,
  events: CacheEvents,
): CacheEngine {
  const logger = new Logger('TieredCache');
  const loads = new InFlightLoads();
  const commandTimeout = options.l2 ? options.l2.commandTimeout : 0;
  const forget = (message: InvalidationMessage): void => loads.forget(message);
  const tiered = new TieredStore(l1 ?? undefined, l2 ?? undefined, invalidations, forget, pending, bus, stats, commandTimeout, events, options.jitter);
  pending.attach((message) => tiered.applyToRedis(message).then(() => undefined));
  bus.onRemoteInvalidation((message) => tiered.invalidateLocally(message, true));
  const lock = { wait: options.l2 ? options.l2.lockWait : 0, ttl: LOCK_TTL, owner: bus.instanceId };
  const runner = new LoadRunner(tiered, stats, lock, events);
  return new CacheEngine({
    namespace: options.namespace,
    defaults: Object.freeze({ ttl: options.defaultTtl, grace: options.grace }),
    tiered,
    loads,
    readThrough: new ReadThrough(tiered, stats, logger, lock, runner, events, options.failureThrottle),
    batch: new BatchReadThrough(l1 ?? undefined, tiered, stats, logger, lock, loads),
    refreshAhead: new RefreshAhead(tiered, runner, stats, logger),
    pending,
    stats,
    events,
  });
}
