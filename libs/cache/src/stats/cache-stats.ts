import type { ChangeFeedStats } from '../change-feed/change-feed.stats.js';
import type { CacheLayer } from '../stores/cache-entry.interface.js';

/** A timed operation reported to {@link CacheStats.onDuration} (L2 and loader only, never the L1 hit path). */
export type TimedOperation = 'get' | 'set' | 'delete' | 'invalidate' | 'clear' | 'load';

/** Why entries were dropped. */
export type InvalidationReason = 'delete' | 'tag' | 'clear' | 'remote';

/**
 * Plain counters, bumped on the cache paths and read at scrape time, so metrics can attach later
 * without touching the hit path.
 */
export class CacheStats {
  readonly hits: Record<CacheLayer, number> = { l1: 0, l2: 0 };
  readonly misses: Record<CacheLayer, number> = { l1: 0, l2: 0 };
  readonly errors = new Map<string, number>();
  readonly invalidations: Record<InvalidationReason, number> = { delete: 0, tag: 0, clear: 0, remote: 0 };
  /** L1 entries dropped by `lru-cache`, by its reason (`evict`, `expire`). */
  readonly evictions = new Map<string, number>();
  /** Background refreshes: done, skipped (another instance held the lock), failed. */
  readonly refreshAhead = { refreshed: 0, skipped: 0, failed: 0 };
  /** HTTP responses served by `HttpCacheInterceptor` (also counted per layer above): hit, stale, miss, bypassed. */
  readonly http = { hits: 0, stale: 0, misses: 0, bypassed: 0 };
  staleHits = 0;
  coalesced = 0;
  loads = 0;
  /** Size of L1 (entries, and approximate bytes when `l1.maxBytes` is set); set by the L1 store. */
  l1Size: { keys(): number; bytes(): number | undefined } | undefined;
  /** Whether the L2 circuit breaker is open; set by the L2 store. */
  l2BreakerOpen: (() => boolean) | undefined;
  /** Write-behind persists that failed (each failed try). */
  writeBehindFailed = 0;
  /** Write-behind calls that ran the method at once because the queue could not take them. */
  writeBehindFallbacks = 0;
  /** Jobs of the write-behind queue not yet done; set by the queue when write-behind is on. */
  writeBehindDepth: (() => Promise<number>) | undefined;
  /** The PostgreSQL change feed's counters and lag, when `changeFeed` is configured. */
  changeFeed: ChangeFeedStats | undefined;
  /** Optional observer of write-behind lag (due time to persisted), in seconds. */
  onWriteBehindLag: ((seconds: number) => void) | undefined;
  /** Optional observer of warm cycle durations, in seconds. */
  onWarm: ((warmer: string, seconds: number) => void) | undefined;
  /** Optional observer of L2 and loader durations, in seconds. */
  onDuration: ((operation: TimedOperation, layer: CacheLayer | 'loader', seconds: number) => void) | undefined;

  /** Counts an error of `layer` during `operation` (`decode`: an L2 entry that is corrupt or foreign; `bus_message`: a malformed bus message). */
  recordError(layer: CacheLayer, operation: TimedOperation | 'publish' | 'decode' | 'bus_message'): void {
    const label = `${layer}:${operation}`;
    this.errors.set(label, (this.errors.get(label) ?? 0) + 1);
  }

  /** Reports a finished warm cycle. */
  recordWarm(warmer: string, seconds: number): void {
    this.onWarm?.(warmer, seconds);
  }

  /** Counts an L1 eviction. */
  recordEviction(reason: string): void {
    this.evictions.set(reason, (this.evictions.get(reason) ?? 0) + 1);
  }

  /** Starts a timer when someone observes durations; returns a function that stops it. */
  time(operation: TimedOperation, layer: CacheLayer | 'loader'): () => void {
    const observer = this.onDuration;
    if (!observer) return noop;
    const start = process.hrtime.bigint();
    return () => observer(operation, layer, Number(process.hrtime.bigint() - start) / 1e9);
  }

  /** A plain snapshot, e.g. for a `/stats` endpoint. */
  snapshot(): Record<string, unknown> {
    return {
      hits: { ...this.hits },
      misses: { ...this.misses },
      staleHits: this.staleHits,
      writeBehindFailed: this.writeBehindFailed,
      writeBehindFallbacks: this.writeBehindFallbacks,
      coalesced: this.coalesced,
      loads: this.loads,
      invalidations: { ...this.invalidations },
      refreshAhead: { ...this.refreshAhead },
      http: { ...this.http },
      errors: Object.fromEntries(this.errors),
      evictions: Object.fromEntries(this.evictions),
      ...(this.changeFeed ? { changeFeed: this.changeFeed.snapshot() } : {}),
    };
  }
}

function noop(): void {}
