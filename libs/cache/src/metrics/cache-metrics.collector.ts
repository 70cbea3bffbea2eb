import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ChangeFeedStats } from '../change-feed/change-feed.stats.js';
import type { CacheStats } from '../stats/cache-stats.js';

type Labels = Record<string, string>;
/** The values of one metric in one application's stats, by labels (without `namespace`). */
type StatsReader = (stats: CacheStats) => [Labels, number][];

/**
 * The cache's Prometheus metrics on one registry. Counters are read from each application's
 * {@link CacheStats} at scrape time, so the hit path only bumps plain numbers; durations (L2 and
 * loader only) are observed as they happen. Labels never carry keys; `namespace` tells apps apart.
 */
export class CacheMetricsCollector {
  private readonly sources = new Map<string, CacheStats>();
  /** Per namespace, the label sets observed in {@link durations}, to remove them with the app. */
  private readonly observed = new Map<string, Set<string>>();
  private readonly durations: Histogram<string>;
  private readonly warmDurations: Histogram<string>;
  private readonly writeBehindLag: Histogram<string>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.counter(registers, 'cache_hits_total', 'Cache hits, per layer.', ['cache_layer'], (stats) =>
      layers(stats.hits),
    );
    this.counter(registers, 'cache_misses_total', 'Cache misses, one per layer consulted.', ['cache_layer'], (stats) =>
      layers(stats.misses),
    );
    this.counter(registers, 'cache_stale_hits_total', 'Stale values served within grace.', [], (stats) => [[{}, stats.staleHits]]);
    this.counter(registers, 'cache_errors_total', 'Failed cache operations.', ['cache_layer', 'operation'], (stats) =>
      [...stats.errors].map(([label, count]) => {
        const [layer, operation] = label.split(':');
        return [{ cache_layer: layer, operation }, count];
      }),
    );
    this.counter(registers, 'cache_evictions_total', 'L1 entries dropped by the LRU.', ['cache_layer', 'reason'], (stats) =>
      [...stats.evictions].map(([reason, count]) => [{ cache_layer: 'l1', reason }, count]),
    );
    this.counter(registers, 'cache_invalidations_total', 'Invalidations, by reason.', ['reason'], (stats) =>
      Object.entries(stats.invalidations).map(([reason, count]) => [{ reason }, count]),
    );
    this.counter(registers, 'cache_stampede_coalesced_total', 'Reads that joined a load already running.', [], (stats) => [
      [{}, stats.coalesced],
    ]);
    this.counter(registers, 'cache_refresh_ahead_total', 'Background refreshes, by result.', ['result'], (stats) =>
      Object.entries(stats.refreshAhead).map(([result, count]) => [{ result }, count]),
    );
    this.counter(registers, 'cache_http_responses_total', 'HTTP responses of HttpCacheInterceptor, by result.', ['result'], (stats) =>
      Object.entries(stats.http).map(([result, count]) => [{ result }, count]),
    );
    this.gauge(registers, 'cache_keys', 'Entries held, per layer.', ['cache_layer'], (stats) => l1Value(stats.l1Size?.keys()));
    this.gauge(registers, 'cache_memory_bytes', 'Approximate bytes held (with l1.maxBytes), per layer.', ['cache_layer'], (stats) =>
      l1Value(stats.l1Size?.bytes()),
    );
    this.gauge(registers, 'cache_l2_breaker_open', '1 while the L2 circuit breaker is open (Redis calls skipped), else 0.', [], (stats) =>
      stats.l2BreakerOpen === undefined ? [] : [[{}, stats.l2BreakerOpen() ? 1 : 0]],
    );
    this.changeFeed(registers);
    this.durations = new Histogram({
      name: 'cache_operation_duration_seconds',
      help: 'Duration of L2 operations and loaders.',
      labelNames: ['namespace', 'operation', 'cache_layer'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.counter(registers, 'cache_write_behind_failed_total', 'Write-behind persists that failed (each try).', [], (stats) => [
      [{}, stats.writeBehindFailed],
    ]);
    this.counter(registers, 'cache_write_behind_fallbacks_total', 'Write-behind calls run at once because the queue could not take them.', [], (stats) => [
      [{}, stats.writeBehindFallbacks],
    ]);
    this.writeBehindDepth(registers);
    this.writeBehindLag = new Histogram({
      name: 'cache_write_behind_lag_seconds',
      help: 'Time from when a write-behind persist was due to when it completed.',
      labelNames: ['namespace'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60],
      registers,
    });
    this.warmDurations = new Histogram({
      name: 'cache_warm_duration_seconds',
      help: 'Duration of warm cycles.',
      labelNames: ['namespace', 'warmer'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
      registers,
    });
  }

  /** Starts reporting an application's stats under its namespace. */
  add(namespace: string, stats: CacheStats): void {
    const observed = new Set<string>();
    this.sources.set(namespace, stats);
    this.observed.set(namespace, observed);
    stats.onDuration = (operation, layer, seconds) => {
      observed.add(`${operation}:${layer}`);
      this.durations.observe({ namespace, operation, cache_layer: layer }, seconds);
    };
    stats.onWriteBehindLag = (seconds) => {
      observed.add('lag:');
      this.writeBehindLag.observe({ namespace }, seconds);
    };
    stats.onWarm = (warmer, seconds) => {
      observed.add(`warm:${warmer}`);
      this.warmDurations.observe({ namespace, warmer }, seconds);
    };
  }

  /** Stops reporting a closed application's stats. */
  remove(namespace: string): void {
    const stats = this.sources.get(namespace);
    if (stats) {
      stats.onDuration = undefined;
      stats.onWarm = undefined;
      stats.onWriteBehindLag = undefined;
    }
    for (const combination of this.observed.get(namespace) ?? []) {
      const [operation, detail] = combination.split(':');
      if (operation === 'warm') this.warmDurations.remove({ namespace, warmer: detail });
      else if (operation === 'lag') this.writeBehindLag.remove({ namespace });
      else this.durations.remove({ namespace, operation, cache_layer: detail });
    }
    this.sources.delete(namespace);
    this.observed.delete(namespace);
  }

  private counter(registers: Registry[], name: string, help: string, labelNames: string[], read: StatsReader): void {
    const sources = this.sources;
    new Counter({
      name,
      help,
      labelNames: ['namespace', ...labelNames],
      registers,
      collect() {
        this.reset();
        for (const [labels, value] of samples(sources, read)) this.inc(labels, value);
      },
    });
  }

  private writeBehindDepth(registers: Registry[]): void {
    const sources = this.sources;
    new Gauge({
      name: 'cache_write_behind_queue_depth',
      help: 'Write-behind jobs waiting, delayed or running.',
      labelNames: ['namespace'],
      registers,
      async collect() {
        this.reset();
        for (const [namespace, stats] of sources) {
          const depth = await stats.writeBehindDepth?.().catch(() => undefined);
          if (depth !== undefined) this.set({ namespace }, depth);
        }
      },
    });
  }

  // NOTE: series appear only for applications that configured `changeFeed`.
  private changeFeed(registers: Registry[]): void {
    const feed = (read: (feed: ChangeFeedStats) => number | undefined): StatsReader => (stats) => {
      const value = stats.changeFeed ? read(stats.changeFeed) : undefined;
      return value === undefined ? [] : [[{}, value]];
    };
    this.counter(registers, 'cache_change_feed_changes_total', 'Row changes received from PostgreSQL.', [], feed((f) => f.changes));
    this.counter(registers, 'cache_change_feed_invalidations_total', 'Keys and tags invalidated because of row changes.', [], feed((f) => f.invalidations));
    this.counter(registers, 'cache_change_feed_errors_total', 'Change feed errors, by kind.', ['kind'], (stats) =>
      [...(stats.changeFeed?.errors ?? [])].map(([kind, count]) => [{ kind }, count]),
    );
    this.gauge(registers, 'cache_change_feed_lag_bytes', 'WAL bytes the replication slot retains past its confirmed position.', [], feed((f) => f.lagBytes));
    this.gauge(registers, 'cache_change_feed_lag_seconds', "Seconds the slot's confirmed position has not moved while it had lag.", [], feed((f) => f.lagSeconds));
    this.gauge(registers, 'cache_change_feed_active', '1 on the instance holding the replication slot, 0 on a standby.', [], feed((f) => (f.role === 'active' ? 1 : 0)));
  }

  private gauge(registers: Registry[], name: string, help: string, labelNames: string[], read: StatsReader): void {
    const sources = this.sources;
    new Gauge({
      name,
      help,
      labelNames: ['namespace', ...labelNames],
      registers,
      collect() {
        this.reset();
        for (const [labels, value] of samples(sources, read)) this.set(labels, value);
      },
    });
  }
}

/** What `read` finds in every application's stats, labelled with its namespace; read at scrape time. */
function samples(sources: ReadonlyMap<string, CacheStats>, read: StatsReader): [Labels, number][] {
  return [...sources].flatMap(([namespace, stats]) => read(stats).map(([labels, value]): [Labels, number] => [{ namespace, ...labels }, value]));
}

function l1Value(value: number | undefined): [Labels, number][] {
  return value === undefined ? [] : [[{ cache_layer: 'l1' }, value]];
}

function layers(counts: Record<string, number>): [Labels, number][] {
  return Object.entries(counts).map(([layer, count]) => [{ cache_layer: layer }, count]);
}
