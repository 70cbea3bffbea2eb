/**
 * Peers case of `npm run bench`: `getOrSet` hits of the library and of its peers, side by side in one
 * run, each cell in a fresh process (no JIT state or heap shared between contenders), cells interleaved
 * round by round, median of the rounds. Ratios are against the bare baseline of the tier measured in the
 * same run: `lru-cache` for L1 hits, one ioredis `GET` per hit for L2 hits (L1 off).
 * `BENCH_PEERS_HITS` (default 200,000) and `BENCH_PEERS_ROUNDS` (default 5) bound its time.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CONTENDERS, KEYS, type Tier } from './peer-contenders.js';

interface CellResult {
  opsPerSecond: number;
  cpuMicrosPerOp: number;
}

interface Cell {
  tier: Tier;
  contender: string;
  runs: CellResult[];
}

const TIERS: readonly { tier: Tier; title: string; baseline: string }[] = [
  { tier: 'l1', title: 'L1 hit', baseline: 'bare lru-cache' },
  { tier: 'l2', title: 'L2 hit, L1 off', baseline: 'bare ioredis GET' },
];
const CELL_SCRIPT = fileURLToPath(new URL('./peer-cell.main.js', import.meta.url));
const CELL_TIMEOUT = 300_000;

function contendersOf(tier: Tier): string[] {
  return Object.entries(CONTENDERS)
    .filter(([, spec]) => spec.tiers.includes(tier))
    .map(([name]) => name);
}

function runCell(tier: Tier, contender: string, redisUrl: string, hits: number): Promise<CellResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CELL_SCRIPT, tier, contender],
      { env: { ...process.env, REDIS_URL: redisUrl, BENCH_PEERS_HITS: String(hits) }, timeout: CELL_TIMEOUT },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${tier} / ${contender}: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as CellResult);
      },
    );
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function positiveIntegerFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return value;
}

/** Measures every cell and prints one table; `redisUrl` is the benchmark's throwaway Redis. */
export async function runPeersBench(redisUrl: string): Promise<void> {
  const hits = positiveIntegerFromEnv('BENCH_PEERS_HITS', 200_000);
  const rounds = positiveIntegerFromEnv('BENCH_PEERS_ROUNDS', 5);
  const cells: Cell[] = TIERS.flatMap(({ tier }) => contendersOf(tier).map((contender) => ({ tier, contender, runs: [] })));
  for (let round = 1; round <= rounds; round += 1) {
    for (const cell of cells) {
      process.stderr.write(`peers: round ${round}/${rounds}, ${cell.tier} ${cell.contender}\n`);
      cell.runs.push(await runCell(cell.tier, cell.contender, redisUrl, hits));
    }
  }
  process.stdout.write(
    `\nPeers: ${hits.toLocaleString('en-US')} getOrSet hits over ${KEYS.toLocaleString('en-US')} keys, 64 in flight, ` +
      `a fresh process per cell, median of ${rounds} interleaved rounds; CPU is this process's user + system time\n`,
  );
  process.stdout.write(`${'tier'.padEnd(16)}${'contender'.padEnd(32)}${'ops/s'.padStart(12)}${'CPU µs/op'.padStart(11)}${'ops ×bare'.padStart(11)}${'CPU ×bare'.padStart(11)}\n`);
  for (const { tier, title, baseline } of TIERS) {
    const tierCells = cells.filter((cell) => cell.tier === tier);
    const summary = tierCells.map(({ contender, runs }) => ({
      contender,
      ops: median(runs.map((run) => run.opsPerSecond)),
      cpu: median(runs.map((run) => run.cpuMicrosPerOp)),
    }));
    const base = summary.find((row) => row.contender === baseline)!;
    for (const { contender, ops, cpu } of summary) {
      process.stdout.write(
        `${title.padEnd(16)}${contender.padEnd(32)}${Math.round(ops).toLocaleString('en-US').padStart(12)}${cpu.toFixed(2).padStart(11)}` +
          `${`${(ops / base.ops).toFixed(2)}×`.padStart(11)}${`${(cpu / base.cpu).toFixed(2)}×`.padStart(11)}\n`,
      );
    }
  }
}
