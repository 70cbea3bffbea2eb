/**
 * One cell of the peers benchmark, in a process of its own: `node peer-cell.main.js <tier> <contender>`
 * with `REDIS_URL` and `BENCH_PEERS_HITS`. Fills the contender's keys, warms up, then measures the hits;
 * prints one JSON line `{ opsPerSecond, cpuMicrosPerOp }`.
 */
import { CONTENDERS, KEYS, type Contender, type Tier } from './peer-contenders.js';

const CONCURRENCY = 64;

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
  await drive(contender, 0, Math.min(hits, 2 * KEYS));
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await drive(contender, 0, hits);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  await contender.close();
  process.stdout.write(`${JSON.stringify({ opsPerSecond: hits / seconds, cpuMicrosPerOp: (cpu.user + cpu.system) / hits })}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
