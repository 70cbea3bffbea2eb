import type { Redis } from 'ioredis';
import { getJson, type AppProcess } from './app.process.js';
import type { LoadRow } from './load.report.js';
import { redisCommandCount } from './redis-commands.js';
import type { StaleReadTracker } from './stale-read.tracker.js';
import { driveWorkload, ENDPOINTS, type WorkloadOptions } from './workload.driver.js';

/** The workload every scenario shares: products, Zipf exponent, categories, share of list reads. */
export const WORKLOAD = { products: 10_000, zipfExponent: 1.0, categories: 20, listShare: 0.04 };

/** One row of the table: the apps it drives, its mix, and what it has measured so far. */
export interface Scenario {
  apps: readonly AppProcess[];
  writeShare: number;
  /** Asked for `INFO commandstats` around each slice; absent when the apps use no Redis. */
  redis: Redis | undefined;
  /** Checks reads for stale prices; absent for the floor. */
  tracker: StaleReadTracker | undefined;
  /** Profiled (`SIGWINCH` to the profiler preload) during each measured slice. */
  profiled?: AppProcess;
  row: LoadRow;
}

interface StatsBody {
  queries: number;
  cache?: { hits: { l1: number; l2: number }; misses: { l1: number } };
}

interface Counters {
  queries: number;
  hits: number;
  lookups: number;
  redisCommands: number | undefined;
}

/** A scenario with nothing measured yet. */
export function scenario(name: string, fields: Omit<Scenario, 'row'>): Scenario {
  const result = { elapsedMs: 0, requests: 0, errors: 0, latencies: { product: [], list: [], put: [] } };
  const staleReads = fields.tracker && 0;
  return { ...fields, row: { run: name, result, hits: 0, lookups: 0, queries: 0, redisCommands: 0, staleReads, sameInstanceStaleReads: 0, longestStaleMs: 0, longestStaleRead: '' } };
}

/** Drives the scenario's mix without measuring (warm-up). */
export async function warmUp(target: Scenario, connections: number, durationMs: number, seed: number): Promise<void> {
  await driveWorkload(workload(target, connections, durationMs, seed));
}

/** Drives one measured slice and adds its results and counters to the scenario's row. */
export async function measureSlice(target: Scenario, connections: number, durationMs: number, seed: number): Promise<void> {
  const before = await counters(target);
  target.tracker?.startChecking();
  target.profiled?.signal('SIGWINCH');
  const slice = await driveWorkload(workload(target, connections, durationMs, seed));
  target.profiled?.signal('SIGWINCH');
  if (target.tracker) target.tracker.checking = false;
  const after = await counters(target);
  const { row } = target;
  row.result.elapsedMs += slice.elapsedMs;
  row.result.requests += slice.requests;
  row.result.errors += slice.errors;
  for (const endpoint of ENDPOINTS) for (const latency of slice.latencies[endpoint]) row.result.latencies[endpoint].push(latency);
  row.hits += after.hits - before.hits;
  row.lookups += after.lookups - before.lookups;
  row.queries += after.queries - before.queries;
  row.redisCommands =
    row.redisCommands === undefined || after.redisCommands === undefined || before.redisCommands === undefined
      ? undefined
      : row.redisCommands + after.redisCommands - before.redisCommands;
  if (target.tracker && row.staleReads !== undefined) {
    row.staleReads += target.tracker.staleReads;
    row.sameInstanceStaleReads += target.tracker.sameInstanceStaleReads;
    if (target.tracker.longestWindowMs > row.longestStaleMs) {
      row.longestStaleMs = target.tracker.longestWindowMs;
      row.longestStaleRead = target.tracker.longestWindowRead;
    }
  }
}

function workload(target: Scenario, connections: number, durationMs: number, seed: number): WorkloadOptions {
  return {
    ...WORKLOAD,
    origins: target.apps.map((app) => app.origin),
    connections,
    durationMs,
    seed,
    writeShare: target.writeShare,
    tracker: target.tracker,
  };
}

async function counters(target: Scenario): Promise<Counters> {
  const stats = await Promise.all(target.apps.map((app) => getJson<StatsBody>(app.origin, '/stats')));
  const total: Counters = { queries: 0, hits: 0, lookups: 0, redisCommands: target.redis && (await redisCommandCount(target.redis)) };
  for (const { queries, cache } of stats) {
    total.queries += queries;
    if (!cache) continue;
    total.hits += cache.hits.l1 + cache.hits.l2;
    total.lookups += cache.hits.l1 + cache.misses.l1;
  }
  return total;
}
