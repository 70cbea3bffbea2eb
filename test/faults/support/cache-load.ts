import type { CacheService } from 'nestjs-tiered-cache';
import { latencyFigures, now, sleep, type LatencyFigures } from './fault-figures.js';

/** One call made by the load. */
export interface CallSample {
  op: 'get' | 'getOrSet';
  key: string;
  /** {@link now} when the call started. */
  startedAt: number;
  latency: number;
}

export interface LoadOptions {
  /** Callers running at once. */
  concurrency: number;
  /** Distinct keys (`k:0` … `k:<keys-1>`), picked at random. */
  keys: number;
  /** How long the loader takes. */
  loaderDelay: number;
}

/** What the callers saw. */
export interface LoadReport {
  samples: CallSample[];
  /** Rejections that reached a caller (README guarantee 6: there must be none). */
  errors: string[];
  /** Values that are not the key's value (a read of another key's or a corrupt entry). */
  wrongValues: number;
  loaderCalls: number;
}

/** Latency figures of the calls started in [from, to). */
export function figuresBetween(samples: readonly CallSample[], from: number, to: number): LatencyFigures {
  return latencyFigures(samples.filter((sample) => sample.startedAt >= from && sample.startedAt < to).map((sample) => sample.latency));
}

/** Keys whose `getOrSet` started in [from, to). */
export function keysLoadedBetween(samples: readonly CallSample[], from: number, to: number): string[] {
  const keys = samples.filter((sample) => sample.op === 'getOrSet' && sample.startedAt >= from && sample.startedAt < to).map((sample) => sample.key);
  return [...new Set(keys)];
}

/** The value the loader gives `key`; every read must see this or nothing. */
export const valueOf = (key: string): string => `value of ${key}`;

/** Makes calls on `cache` and records what each caller saw. */
class CallRecorder {
  readonly report: LoadReport = { samples: [], errors: [], wrongValues: 0, loaderCalls: 0 };

  constructor(
    private readonly cache: CacheService,
    private readonly loaderDelay: number,
  ) {}

  async call(op: CallSample['op'], key: string): Promise<void> {
    const startedAt = now();
    try {
      const value = op === 'get' ? await this.cache.get(key) : await this.cache.getOrSet(key, () => this.load(key));
      if (value === undefined ? op === 'getOrSet' : value !== valueOf(key)) this.report.wrongValues += 1;
    } catch (error) {
      this.report.errors.push(`${op}(${key}): ${error instanceof Error ? error.message : String(error)}`);
    }
    this.report.samples.push({ op, key, startedAt, latency: now() - startedAt });
  }

  private async load(key: string): Promise<string> {
    this.report.loaderCalls += 1;
    await sleep(this.loaderDelay);
    return valueOf(key);
  }
}

/**
 * `concurrency` callers alternating `getOrSet` and `get` on random keys until stopped, as a busy
 * service would. Each caller yields to the event loop between calls, so L1 hits cannot starve timers.
 */
export function startCacheLoad(cache: CacheService, options: LoadOptions): { stop(): Promise<LoadReport> } {
  const recorder = new CallRecorder(cache, options.loaderDelay);
  let running = true;
  const caller = async (index: number): Promise<void> => {
    for (let turn = index; running; turn += 1) {
      await recorder.call(turn % 2 === 0 ? 'getOrSet' : 'get', `k:${Math.floor(Math.random() * options.keys)}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const callers = Array.from({ length: options.concurrency }, (_, index) => caller(index));
  return {
    async stop() {
      running = false;
      await Promise.all(callers);
      return recorder.report;
    },
  };
}

/**
 * A quiet instance's traffic: one `getOrSet` of a never-seen key (`quiet:<n>`) at a time, every
 * `interval` ms. Its circuit breaker sees few failures, so each call meets the stall on its own.
 */
export function startQuietCaller(cache: CacheService, interval: number): { stop(): Promise<LoadReport> } {
  const recorder = new CallRecorder(cache, 5);
  let running = true;
  const caller = async (): Promise<void> => {
    for (let turn = 0; running; turn += 1) {
      await recorder.call('getOrSet', `quiet:${turn}`);
      await sleep(interval);
    }
  };
  const done = caller();
  return {
    async stop() {
      running = false;
      await done;
      return recorder.report;
    },
  };
}
