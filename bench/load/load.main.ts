/**
 * `npm run load`: the demo under a production-like mixed workload, against the same routes without the
 * cache and a constant Nest endpoint, measured in one run and printed as one table (README, "Load benchmark").
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort, startBenchRedis, type BenchRedis } from '../bench-redis.js';
import { startApp, type AppProcess } from './app.process.js';
import { topSelfTime } from './cpu-profile.summary.js';
import { loadConfig, type LoadConfig } from './load.config.js';
import { createLoadDatabase, type LoadDatabase } from './load-database.js';
import { formatTable, type LoadRow } from './load.report.js';
import { measureSlice, scenario, warmUp, WORKLOAD, type Scenario } from './load.scenario.js';
import { StaleReadTracker } from './stale-read.tracker.js';
import { primeCache } from './workload.driver.js';

const DEMO_MAIN = fileURLToPath(new URL('../../apps/demo/src/main.js', import.meta.url));
const REFERENCE_MAIN = fileURLToPath(new URL('./reference-app.main.js', import.meta.url));
const PROFILER = fileURLToPath(new URL('./cpu-profiler.preload.js', import.meta.url));
const WRITE_SHARE = 0.01;

/** What a load run has started and must stop. */
interface Resources {
  config: LoadConfig;
  redis: BenchRedis;
  client: Redis;
  /** The cached demo's database, and the baseline's (its writes must not go behind the cache's back). */
  databases: LoadDatabase[];
  apps: AppProcess[];
  profileFile: string | undefined;
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (!existsSync(DEMO_MAIN)) throw new Error(`${DEMO_MAIN} is missing: run 'npm run build' first ('npm run load' does it)`);
  const redis = stopOnce(await startBenchRedis());
  const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  client.on('error', () => undefined);
  const resources: Resources = { config, redis, client, databases: [], apps: [], profileFile: undefined };
  try {
    await client.connect();
    resources.databases.push(await createLoadDatabase(config.postgresUrl), await createLoadDatabase(config.postgresUrl));
    if (config.profile) resources.profileFile = join(tmpdir(), `tiered-cache-load-${randomBytes(4).toString('hex')}`);
    printSetup(resources);
    const { rows, notes } = await measureAll(resources);
    process.stdout.write(`\n${formatTable(rows)}\n\n${notes.join('\n')}\n`);
  } finally {
    await Promise.all(resources.apps.map((app) => app.stop()));
    client.disconnect();
    for (const database of resources.databases) await database.drop();
    await redis.stop();
  }
}

async function measureAll(resources: Resources): Promise<{ rows: LoadRow[]; notes: string[] }> {
  const { config } = resources;
  const [cachedDatabase, baselineDatabase] = resources.databases;
  const instances = cachedDatabase.url ? 2 : 1;
  const demo = await startDemo(resources, instances, cachedDatabase.url);
  const baseline = await startReference(resources, 'baseline', instances, baselineDatabase.url);
  const floor = await startReference(resources, 'floor', instances, undefined);
  await primeCache(demo.map((app) => app.origin), config.connections, WORKLOAD.products, WORKLOAD.categories);

  const cachedTracker = new StaleReadTracker();
  const cached = { apps: demo, redis: resources.client, tracker: cachedTracker };
  const scenarios: Scenario[] = [
    scenario('cached demo, read-only', { ...cached, writeShare: 0 }),
    scenario('cached demo, 1% writes', { ...cached, writeShare: WRITE_SHARE, profiled: resources.profileFile ? demo[0] : undefined }),
    scenario('same routes, no cache, 1% writes', { apps: baseline, writeShare: WRITE_SHARE, redis: undefined, tracker: new StaleReadTracker() }),
    scenario('floor: constant Nest endpoint', { apps: floor, writeShare: WRITE_SHARE, redis: undefined, tracker: undefined }),
  ];
  for (const [index, target] of scenarios.entries()) {
    await warmUp(target, config.connections, config.warmupSeconds * 1_000, config.seed + 1_000 + index);
  }
  const sliceMs = (config.durationSeconds * 1_000) / config.rounds;
  for (let round = 0; round < config.rounds; round += 1) {
    for (const target of scenarios) await measureSlice(target, config.connections, sliceMs, config.seed + round * 7_919);
    process.stdout.write(`  round ${round + 1} of ${config.rounds} measured\n`);
  }
  const rows = scenarios.map((target) => target.row);
  const notes = rows.filter((row) => row.longestStaleRead !== '').map((row) => `Longest stale window of '${row.run}': ${row.longestStaleRead}.`);
  if (config.outageSeconds > 0 && !process.env.REDIS_URL) rows.push(await measureOutage(resources, demo, cachedTracker, notes));
  if (resources.profileFile) notes.push(...(await profileNotes(resources.profileFile, config.rounds)));
  return { rows, notes };
}

/** Read-only load with Redis stopped: counts what the instances log meanwhile (the outage-log item of issue 10). */
async function measureOutage(resources: Resources, demo: readonly AppProcess[], tracker: StaleReadTracker, notes: string[]): Promise<LoadRow> {
  const { config } = resources;
  const linesBefore = demo.map((app) => app.outputLines);
  await resources.redis.stop();
  const name = `cached demo, Redis stopped, read-only (${config.outageSeconds} s)`;
  const outage = scenario(name, { apps: demo, writeShare: 0, redis: undefined, tracker });
  await measureSlice(outage, config.connections, config.outageSeconds * 1_000, config.seed);
  const lines = demo.map((app, index) => app.outputLines - linesBefore[index]);
  notes.push(
    `Redis stopped for ${config.outageSeconds} s under load: ${lines.join(' and ')} log lines written by the demo instances; ` +
      'the most frequent of them:',
  );
  const written = demo.flatMap((app, index) => (lines[index] === 0 ? [] : app.recentLines.slice(-lines[index])));
  notes.push(...frequentMessages(written).map((line) => `  ${line}`));
  return outage.row;
}

async function startDemo(resources: Resources, instances: number, databaseUrl: string | undefined): Promise<AppProcess[]> {
  const namespace = `load-${randomBytes(4).toString('hex')}`;
  const apps: AppProcess[] = [];
  // NOTE: one after the other: the first seeds the empty database, the second finds it seeded.
  for (let index = 0; index < instances; index += 1) {
    const profileFile = index === 0 ? resources.profileFile : undefined;
    const args = profileFile ? ['--import', PROFILER, DEMO_MAIN] : [DEMO_MAIN];
    const env = {
      REDIS_URL: resources.redis.url,
      DATABASE_URL: databaseUrl ?? '',
      CACHE_NAMESPACE: namespace,
      SEED_PRODUCTS: String(WORKLOAD.products),
      HOST: '127.0.0.1',
      LOAD_PROFILE_FILE: profileFile ?? '',
    };
    apps.push(await started(resources, startApp(`demo ${index + 1}`, await freePort(), args, env, '/products/1')));
  }
  return apps;
}

async function startReference(
  resources: Resources,
  kind: 'baseline' | 'floor',
  instances: number,
  databaseUrl: string | undefined,
): Promise<AppProcess[]> {
  const apps: AppProcess[] = [];
  for (let index = 0; index < instances; index += 1) {
    const env = { LOAD_APP: kind, DATABASE_URL: databaseUrl ?? '' };
    apps.push(await started(resources, startApp(`${kind} ${index + 1}`, await freePort(), [REFERENCE_MAIN], env, '/products/1')));
  }
  return apps;
}

async function started(resources: Resources, starting: Promise<AppProcess>): Promise<AppProcess> {
  const app = await starting;
  resources.apps.push(app);
  return app;
}

async function profileNotes(file: string, count: number): Promise<string[]> {
  const paths = Array.from({ length: count }, (_, index) => `${file}-${index + 1}.cpuprofile`);
  for (let waited = 0; !paths.every((path) => existsSync(path)) && waited < 10_000; waited += 100) await sleep(100);
  const written = paths.filter((path) => existsSync(path));
  if (written.length === 0) return [`No CPU profile was written (${file}-*.cpuprofile)`];
  const { busySamples, idleSamples, top } = await topSelfTime(written, 10);
  return [
    `CPU profile of demo 1 during the measured slices of 'cached demo, 1% writes' (${file}-*.cpuprofile):`,
    `${busySamples} busy samples, ${idleSamples} idle; top 10 functions by self samples:`,
    '| function | where | self samples | share of busy |',
    '|---|---|---|---|',
    ...top.map(({ name, location, samples, share }) => `| ${name} | ${location} | ${samples} | ${(share * 100).toFixed(1)}% |`),
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
    .slice(0, 5)
    .map(([message, count]) => `${count}× ${message.slice(0, 200)}`);
}

// NOTE: the outage run stops Redis before the final clean-up does; stopping an exited server would wait forever.
function stopOnce(redis: BenchRedis): BenchRedis {
  let stopped: Promise<void> | undefined;
  return { url: redis.url, stop: () => (stopped ??= redis.stop()) };
}

function printSetup({ config, databases, redis }: Resources): void {
  const instances = databases[0].url ? 2 : 1;
  process.stdout.write(
    [
      `node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}`,
      `databases: ${databases.map((database) => database.description).join('; ')}; Redis: ${redis.url}`,
      `${config.connections} keep-alive connections alternating between ${instances} instance(s) per scenario; ` +
        `Zipf(s=1.0) over ${WORKLOAD.products} products, seed ${config.seed}`,
      '95% GET /products/:id, 4% GET /products?category=, 1% PUT (0% in read-only); cache primed (every product and list read once)',
      `${config.warmupSeconds} s warm-up per scenario, then ${config.durationSeconds} s measured per scenario ` +
        `in ${config.rounds} slices, the scenarios taking turns`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
