/** Latency figures of a fault scenario, printed one compact line per scenario. */
export interface LatencyFigures {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** p50/p99/max (ms, rounded) of `latencies`; zeros when empty. */
export function latencyFigures(latencies: readonly number[]): LatencyFigures {
  if (latencies.length === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (quantile: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))]);
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: Math.round(sorted[sorted.length - 1]) };
}

/** `p50=1 p99=20 max=310 (n=5120)` */
export function formatLatency(figures: LatencyFigures): string {
  return `p50=${figures.p50}ms p99=${figures.p99}ms max=${figures.max}ms (n=${figures.count})`;
}

/** Prints `[fault] <scenario> | key=value | ...` so a run's figures can be grepped from the Jest output. */
export function printFigures(scenario: string, figures: Record<string, string | number | boolean>): void {
  const fields = Object.entries(figures).map(([name, value]) => `${name}=${value}`);
  console.log(`[fault] ${scenario} | ${fields.join(' | ')}`);
}

/** Collects what a user would see go wrong, so one assertion shows every symptom of a scenario at once. */
export class Violations {
  private readonly found: string[] = [];

  /** Records `message` unless `holds`. */
  check(holds: boolean, message: string): void {
    if (!holds) this.found.push(message);
  }

  get list(): readonly string[] {
    return this.found;
  }
}

export const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Milliseconds since an arbitrary origin, monotonic. */
export const now = (): number => performance.now();
