/** Throughput and latency of one benchmark case. */
export interface Measurement {
  name: string;
  opsPerSecond: number;
  p50Microseconds: number;
  p99Microseconds: number;
}

const BATCH = 1_000;

/**
 * Runs `operation` sequentially for `durationMs` after a warm-up, awaiting only what returns a Promise;
 * latency percentiles come from batches of 1,000 operations (timing each sub-microsecond call alone
 * would measure the clock).
 */
export async function measureSequential(name: string, operation: (index: number) => unknown, durationMs = 2_000): Promise<Measurement> {
  await runFor(operation, durationMs / 4);
  const batchMicros: number[] = [];
  let operations = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(durationMs) * 1_000_000n;
  for (let now = started; now < deadline; ) {
    const batchStart = now;
    for (let index = 0; index < BATCH; index += 1) {
      const result = operation(operations + index);
      if (result instanceof Promise) await result;
    }
    operations += BATCH;
    now = process.hrtime.bigint();
    batchMicros.push(Number(now - batchStart) / 1_000 / BATCH);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return summarize(name, operations / seconds, batchMicros);
}

/** Runs `operation` with `concurrency` callers in flight for `durationMs`, timing every call. */
export async function measureConcurrent(
  name: string,
  operation: (index: number) => Promise<unknown>,
  concurrency: number,
  durationMs = 2_000,
): Promise<Measurement> {
  await runConcurrent(operation, concurrency, durationMs / 4, []);
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  const operations = await runConcurrent(operation, concurrency, durationMs, latencies);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return summarize(name, operations / seconds, latencies);
}

async function runFor(operation: (index: number) => unknown, durationMs: number): Promise<void> {
  const deadline = Date.now() + durationMs;
  for (let index = 0; Date.now() < deadline; index += BATCH) {
    for (let offset = 0; offset < BATCH; offset += 1) {
      const result = operation(index + offset);
      if (result instanceof Promise) await result;
    }
  }
}

async function runConcurrent(
  operation: (index: number) => Promise<unknown>,
  concurrency: number,
  durationMs: number,
  latencies: number[],
): Promise<number> {
  const deadline = Date.now() + durationMs;
  let operations = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const start = process.hrtime.bigint();
      await operation(operations++);
      latencies.push(Number(process.hrtime.bigint() - start) / 1_000);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return operations;
}

function summarize(name: string, opsPerSecond: number, samples: number[]): Measurement {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (fraction: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
  return { name, opsPerSecond, p50Microseconds: at(0.5), p99Microseconds: at(0.99) };
}

/** A benchmark case: how to measure it once. */
export type BenchCase = () => Promise<Measurement>;

/**
 * Measures every case `rounds` times, round-robin (so drift in machine load and JIT state hits all
 * cases alike), and keeps each case's median round by throughput.
 */
export async function measureInterleaved(cases: readonly BenchCase[], rounds = 3): Promise<Measurement[]> {
  const samples: Measurement[][] = cases.map(() => []);
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, run] of cases.entries()) samples[index].push(await run());
  }
  return samples.map((runs) => [...runs].sort((a, b) => a.opsPerSecond - b.opsPerSecond)[Math.floor(runs.length / 2)]);
}

/** Prints a case and its ratio to a baseline measured in the same run. */
export function report(measurement: Measurement, baseline?: Measurement): void {
  const ratio = baseline ? `  ${(measurement.opsPerSecond / baseline.opsPerSecond).toFixed(2)}x ${baseline.name}` : '';
  process.stdout.write(
    `${measurement.name.padEnd(44)} ${Math.round(measurement.opsPerSecond).toLocaleString('en-US').padStart(12)} ops/s` +
      `  p50 ${measurement.p50Microseconds.toFixed(2).padStart(8)} µs  p99 ${measurement.p99Microseconds.toFixed(2).padStart(8)} µs${ratio}\n`,
  );
}
