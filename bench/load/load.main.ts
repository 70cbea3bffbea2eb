/**
 * `npm run load`: the demo under a production-like mixed workload, against the same routes without the
 * cache and a constant Nest endpoint, measured in one run and printed as one table (see README, "Load benchmark").
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort, startBenchRedis, type BenchRedis } from '../bench-redis.js';
import { getJson, startApp, type AppProcess } from './app.process.js';
import { topSelfTime } from './cpu-profile.summary.js';
import { loadConfig, type LoadConfig } from './load.config.js';
import { createLoadDatabase, type LoadDatabase } from './load-database.js';
import { formatTable, type LoadRow } from './load.report.js';
import { redisCommandCount } from './redis-commands.js';
import { StaleReadTracker } from './stale-read.tracker.js';
import { driveWorkload, type WorkloadResult } from './workload.driver.js';

const DEMO_MAIN = fileURLToPath(new URL('../../apps/demo/src/main.js', import.meta.url));
const REFERENCE_MAIN = fileURLToPath(new URL('./reference-app.main.js', import.meta.url));
const PROFILER = fileURLToPath(new URL('./cpu-profiler.preload.js', import.meta.url));

const PRODUCTS = 10_000;
const WRITE_SHARE = 0.01;
const WORKLOAD = { products: PRODUCTS, zipfExponent: 1.0, categories: 20, listShare: 0.04 };

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

/** What a run drives and counts. */
interface Run {
  name: string;
  apps: readonly AppProcess[];
  writeShare: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Asked for `INFO commandstats` around the run; absent when there is no Redis to ask. */
  redis: Redis | undefined;
  tracker: StaleReadTracker | undefined;
  /** Profiled during the measured part of the run. */
  profiled?: { app: AppProcess; file: string };
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (!existsSync(DEMO_MAIN)) throw new Error(`${DEMO_MAIN} is missing: run 'npm run build' first ('npm run load' does it)`);
  const redis = stopOnce(await startBenchRedis());
  const database = await createLoadDatabase(config.postgresUrl);
  const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  client.on('error', () => undefined);
  await client.connect();
  const started: AppProcess[] = [];
  try {
    printSetup(config, database, redis);
    const { rows, notes } = await measureAll(config, redis, database, client, started);
    process.stdout.write(`\n${formatTable(rows)}\n\n${notes.join('\n')}\n`);
  } finally {
    await Promise.all(started.map((app) => app.stop()));
    client.disconnect();
    await database.drop();
    await redis.stop();
  }
}

async function measureAll(config: LoadConfig, redis: BenchRedis, database: LoadDatabase, client: Redis, started: AppProcess[]) {
  const instances = database.url ? 2 : 1;
  const tracker = new StaleReadTracker();
  const rows: LoadRow[] = [];
  const notes: string[] = [];
  const run = { durationSeconds: config.durationSeconds, warmupSeconds: config.warmupSeconds, tracker };
  const profileFile = join(tmpdir(), `tiered-cache-load-${randomBytes(4).toString('hex')}.cpuprofile`);

  const demo = await startDemo(instances, redis.url, database.url, config.profile ? profileFile : undefined, started);
  rows.push(await measure(config, { ...run, name: 'cached demo, read-only', apps: demo, writeShare: 0, redis: client }));
  const profiled = config.profile ? { app: demo[0], file: profileFile } : undefined;
  rows.push(await measure(config, { ...run, name: 'cached demo, 1% writes', apps: demo, writeShare: WRITE_SHARE, redis: client, profiled }));
  if (config.outageSeconds > 0 && !process.env.REDIS_URL) rows.push(await measureOutage(config, demo, redis, tracker, notes));
  await stopAll(demo);

  const baseline = await startReference('baseline', instances, database.url, started);
  rows.push(await measure(config, { ...run, name: 'same routes, no cache, 1% writes', apps: baseline, writeShare: WRITE_SHARE, redis: undefined }));
  await stopAll(baseline);

  const floor = await startReference('floor', instances, undefined, started);
  rows.push(await measure(config, { ...run, name: 'floor: constant Nest endpoint', apps: floor, writeShare: WRITE_SHARE, redis: undefined, tracker: undefined }));
  await stopAll(floor);

  if (profiled) notes.push(...(await profileNotes(profileFile)));
  return { rows, notes };
}

async function measure(config: LoadConfig, run: Run): Promise<LoadRow> {
  const workload = {
    ...WORKLOAD,
    origins: run.apps.map((app) => app.origin),
    connections: config.connections,
    writeShare: run.writeShare,
    tracker: run.tracker,
  };
  if (run.warmupSeconds > 0) await driveWorkload({ ...workload, durationMs: run.warmupSeconds * 1_000, seed: config.seed + 1_000_003 });
  const before = await counters(run.apps, run.redis);
  run.tracker?.startChecking();
  run.profiled?.app.signal('SIGWINCH');
  const result: WorkloadResult = await driveWorkload({ ...workload, durationMs: run.durationSeconds * 1_000, seed: config.seed });
  run.profiled?.app.signal('SIGWINCH');
  if (run.tracker) run.tracker.checking = false;
  const after = await counters(run.apps, run.redis);
  process.stdout.write(`  measured: ${run.name}\n`);
  return {
    run: run.name,
    result,
    hitRate: after.lookups > before.lookups ? (after.hits - before.hits) / (after.lookups - before.lookups) : undefined,
    queries: after.queries - before.queries,
    redisCommands: after.redisCommands === undefined || before.redisCommands === undefined ? undefined : after.redisCommands - before.redisCommands,
    staleReads: run.tracker?.staleReads,
    longestStaleMs: run.tracker?.longestWindowMs ?? 0,
  };
}

/** Read-only load with Redis stopped: counts what the instances log meanwhile (the outage-log item of issue 10). */
async function measureOutage(config: LoadConfig, demo: readonly AppProcess[], redis: BenchRedis, tracker: StaleReadTracker, notes: string[]): Promise<LoadRow> {
  const linesBefore = demo.map((app) => app.outputLines);
  await redis.stop();
  const row = await measure(config, {
    name: `cached demo, Redis stopped, read-only (${config.outageSeconds} s)`,
    apps: demo,
    writeShare: 0,
    durationSeconds: config.outageSeconds,
    warmupSeconds: 0,
    redis: undefined,
    tracker,
  });
  const lines = demo.map((app, index) => app.outputLines - linesBefore[index]);
  notes.push(`Redis stopped for ${config.outageSeconds} s under load: ${lines.join(' and ')} log lines written by the demo instances.`);
  notes.push(...frequentMessages(demo.flatMap((app) => app.recentLines)).map((line) => `  ${line}`));
  return row;
}

async function counters(apps: readonly AppProcess[], redis: Redis | undefined): Promise<Counters> {
  const stats = await Promise.all(apps.map((app) => getJson<StatsBody>(app.origin, '/stats')));
  const total: Counters = { queries: 0, hits: 0, lookups: 0, redisCommands: redis && (await redisCommandCount(redis)) };
  for (const { queries, cache } of stats) {
    total.queries += queries;
    if (!cache) continue;
    total.hits += cache.hits.l1 + cache.hits.l2;
    total.lookups += cache.hits.l1 + cache.misses.l1;
  }
  return total;
}

async function startDemo(instances: number, redisUrl: string, databaseUrl: string | undefined, profileFile: string | undefined, started: AppProcess[]) {
  const namespace = `load-${randomBytes(4).toString('hex')}`;
  const apps: AppProcess[] = [];
  // NOTE: one after the other: the first seeds the empty database, the second finds it seeded.
  for (let index = 0; index < instances; index += 1) {
    const profiling = profileFile !== undefined && index === 0;
    const args = profiling ? ['--import', PROFILER, DEMO_MAIN] : [DEMO_MAIN];
    const env = { REDIS_URL: redisUrl, DATABASE_URL: databaseUrl ?? '', CACHE_NAMESPACE: namespace, SEED_PRODUCTS: String(PRODUCTS), HOST: '127.0.0.1' };
    const app = await startApp(`demo ${index + 1}`, await freePort(), args, { ...env, LOAD_PROFILE_FILE: profiling ? profileFile : '' }, '/products/1');
    started.push(app);
    apps.push(app);
  }
  return apps;
}

async function startReference(kind: 'baseline' | 'floor', instances: number, databaseUrl: string | undefined, started: AppProcess[]) {
  const apps: AppProcess[] = [];
  for (let index = 0; index < instances; index += 1) {
    const app = await startApp(`${kind} ${index + 1}`, await freePort(), [REFERENCE_MAIN], { LOAD_APP: kind, DATABASE_URL: databaseUrl ?? '' }, '/products/1');
    started.push(app);
    apps.push(app);
  }
  return apps;
}

async function stopAll(apps: readonly AppProcess[]): Promise<void> {
  await Promise.all(apps.map((app) => app.stop()));
}

async function profileNotes(file: string): Promise<string[]> {
  for (let waited = 0; !existsSync(file) && waited < 10_000; waited += 100) await sleep(100);
  if (!existsSync(file)) return [`CPU profile ${file} was not written`];
  const { busyMs, idleMs, top } = await topSelfTime(file, 10);
  const share = (busyMs / (busyMs + idleMs)) * 100;
  return [
    `CPU profile of demo 1 during 'cached demo, 1% writes' (${file}): busy ${share.toFixed(0)}% of the run; top 10 self time:`,
    '| function | where | self ms | share of busy |',
    '|---|---|---|---|',
    ...top.map(({ name, location, ms, share: part }) => `| ${name} | ${location} | ${Math.round(ms)} | ${(part * 100).toFixed(1)}% |`),
  ];
}

/** The 3 most frequent messages among `lines`, digits masked so one message repeated counts once. */
function frequentMessages(lines: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const message = line.replace(/\u001b\[[0-9;]*m/g, '').replace(/\d+/g, '#');
    counts.set(message, (counts.get(message) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([message, count]) => `${count}× ${message.slice(0, 200)}`);
}

// NOTE: the outage run stops Redis before the final clean-up does; stopping an exited server would wait forever.
function stopOnce(redis: BenchRedis): BenchRedis {
  let stopped: Promise<void> | undefined;
  return { url: redis.url, stop: () => (stopped ??= redis.stop()) };
}

function printSetup(config: LoadConfig, database: LoadDatabase, redis: BenchRedis): void {
  const mix = `95% GET /products/:id, 4% GET /products?category=, 1% PUT (0% in read-only runs)`;
  process.stdout.write(
    [
      `node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}`,
      `database: ${database.description}; Redis: ${redis.url}`,
      `${config.connections} keep-alive connections alternating between ${database.url ? 2 : 1} instance(s); Zipf(s=1.0) over ${PRODUCTS} products, seed ${config.seed}`,
      `${mix}; ${config.warmupSeconds} s warm-up + ${config.durationSeconds} s measured per run`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
