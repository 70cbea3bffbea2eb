/**
 * One cell of the peers benchmark, in a process of its own: `node peer-cell.main.js <tier> <contender>`
 * with `REDIS_URL` and `BENCH_PEERS_HITS`. Fills the contender's keys, warms up for a second, then measures
 * passes of `BENCH_PEERS_HITS` hits for at least two seconds; prints one JSON line `{ opsPerSecond, cpuMicrosPerOp }`.
 */
import { CONTENDERS, KEYS, type Contender, type Tier } from './peer-contenders.js';

const CONCURRENCY = 64;
const WARMUP_SECONDS = 1;
const MEASURED_SECONDS = 2;

/** Runs `count` calls with `CONCURRENCY` in flight, starting at `offset`. */
async function drive(contender: Contender, offset: number, count: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = offset + next;
      next += 1;
      await contender.getOrSet(index);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function main(): Promise<void> {
  const [tier, name] = process.argv.slice(2) as [Tier, string];
  const hits = Number(process.env.BENCH_PEERS_HITS);
  const spec = CONTENDERS[name];
  if (!spec?.tiers.includes(tier) || !(hits > 0)) throw new Error(`no contender '${name}' for tier ${tier}, or BENCH_PEERS_HITS unset`);
  const contender = await spec.start(tier, process.env.REDIS_URL ?? '');
  await drive(contender, 0, KEYS);
  await driveFor(contender, Math.min(hits, 2 * KEYS), WARMUP_SECONDS);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const done = await driveFor(contender, hits, MEASURED_SECONDS);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  await contender.close();
  process.stdout.write(`${JSON.stringify({ opsPerSecond: done / seconds, cpuMicrosPerOp: (cpu.user + cpu.system) / done })}\n`);
}

/**
 * Runs passes of `count` calls until `seconds` have passed; returns the calls made.
 * NOTE: an L1 hit takes a fraction of a microsecond, so 200,000 of them last about 60 ms: less than V8
 * needs to finish optimizing, which made one cell vary twofold between runs. A minimum time fixes that.
 */
async function driveFor(contender: Contender, count: number, seconds: number): Promise<number> {
  const deadline = Date.now() + seconds * 1_000;
  let done = 0;
  do {
    await drive(contender, 0, count);
    done += count;
  } while (Date.now() < deadline);
  return done;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
