import { ENDPOINTS, type Endpoint, type WorkloadResult } from './workload.driver.js';

/** One row of the table: a measured run and the counters around it. */
export interface LoadRow {
  run: string;
  result: WorkloadResult;
  /** Cache hits (L1, or L2 after an L1 miss) and lookups (L1 lookups); both 0 without a cache. */
  hits: number;
  lookups: number;
  queries: number;
  /** `undefined` when Redis could not be asked (it is down). */
  redisCommands: number | undefined;
  /** Stale reads from another instance than the PUT's; `undefined` when not checked. */
  staleReads: number | undefined;
  /** Stale reads from the instance that served the PUT (read-your-writes broken). */
  sameInstanceStaleReads: number;
  /** The read of the longest stale window, e.g. `/products?category=category-3, product 3`. */
  longestStaleRead: string;
  longestStaleMs: number;
}

const LABELS: Record<Endpoint, string> = { product: 'GET /products/:id', list: 'GET /products?category=', put: 'PUT /products/:id' };

/** The results as one Markdown table. */
export function formatTable(rows: readonly LoadRow[]): string {
  const header = [
    'run',
    'req/s',
    'errors',
    'p50 / p99 (all)',
    ...ENDPOINTS.map((endpoint) => `${LABELS[endpoint]} p50 / p99`),
    'hit rate',
    'DB queries / 1k req',
    'Redis cmds / 1k req',
    'stale reads, other instance',
    'longest stale window',
  ];
  const lines = [row(header), row(header.map(() => '---'))];
  for (const entry of rows) lines.push(row(cells(entry)));
  return lines.join('\n');
}

function cells({ run, result, hits, lookups, queries, redisCommands, staleReads, sameInstanceStaleReads, longestStaleMs }: LoadRow): string[] {
  const perThousand = (count: number): string => ((count / Math.max(result.requests, 1)) * 1_000).toFixed(1);
  return [
    run,
    Math.round(result.requests / (result.elapsedMs / 1_000)).toLocaleString('en-US'),
    String(result.errors),
    percentiles(ENDPOINTS.flatMap((endpoint) => result.latencies[endpoint])),
    ...ENDPOINTS.map((endpoint) => percentiles(result.latencies[endpoint])),
    lookups === 0 ? '—' : `${((hits / lookups) * 100).toFixed(1)}%`,
    perThousand(queries),
    redisCommands === undefined ? '—' : perThousand(redisCommands),
    staleReads === undefined ? '—' : `${staleReads} (${sameInstanceStaleReads} on the writer)`,
    staleReads === undefined ? '—' : `${longestStaleMs.toFixed(1)} ms`,
  ];
}

function percentiles(latencies: readonly number[]): string {
  if (latencies.length === 0) return '—';
  const sorted = Float64Array.from(latencies).sort();
  const at = (quantile: number): string => formatMs(sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))]);
  return `${at(0.5)} / ${at(0.99)}`;
}

function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

function row(values: readonly string[]): string {
  return `| ${values.join(' | ')} |`;
}
