import type { CacheModuleOptions } from 'nestjs-tiered-cache';
import { uniqueNamespace } from '../support/test-redis.js';
import { figuresBetween, keysLoadedBetween, startCacheLoad, startQuietCaller, valueOf, type LoadReport } from './support/cache-load.js';
import { useFaultEnvironment } from './support/fault-environment.js';
import { formatLatency, latencyFigures, now, printFigures, sleep, Violations, type LatencyFigures } from './support/fault-figures.js';
import { lockKeys, rawClient } from './support/redis-inspect.js';

// Items 28 and 30 of issue 7: a stalled Redis costs a caller at most one commandTimeout (plus the
// loader), also in the second after Redis answers again, and leaves no load lock behind.
const COMMAND_TIMEOUT = 400;
const LOCK_WAIT = 3_000;
// NOTE: with one deadline per call a correct implementation answers within commandTimeout + the 5 ms
// loader; 500 ms covers event-loop lag and GC on a busy 2-core machine. A call that pays two
// timeouts (read, then lock or write) exceeds it, and so does any wait for an orphaned lock (lockWait).
const LATENCY_BOUND = COMMAND_TIMEOUT + 500;
const CONCURRENCY = 64;
const SETTLE = 1_000;

type Stall = 'SIGSTOP 5s' | 'DEBUG SLEEP 2';

describe('fault: Redis stalls under 64-concurrent load', () => {
  const env = useFaultEnvironment(['--enable-debug-command', 'yes']);
  const { apps } = env;

  /** Stalls Redis; resolves [start, end] of the stall on the {@link now} clock. */
  async function stall(kind: Stall): Promise<[number, number]> {
    const started = now();
    if (kind === 'SIGSTOP 5s') {
      env.server.signal('SIGSTOP');
      await sleep(5_000);
      env.server.signal('SIGCONT');
    } else {
      const sleeper = rawClient(env.server.url);
      await sleeper.call('DEBUG', 'SLEEP', '2');
      sleeper.disconnect();
    }
    return [started, now()];
  }

  it.each<[Stall, 'on' | 'off']>([
    ['SIGSTOP 5s', 'on'],
    ['SIGSTOP 5s', 'off'],
    ['DEBUG SLEEP 2', 'on'],
    ['DEBUG SLEEP 2', 'off'],
  ])('%s with L1 %s: no caller error, every call bounded, no orphaned lock', async (kind, l1) => {
    const namespace = uniqueNamespace('stall');
    const options: CacheModuleOptions = {
      namespace,
      defaultTtl: '1s',
      l1: l1 === 'on' ? { max: 10_000, ttl: '1s' } : false,
      l2: { redis: env.server.url, commandTimeout: COMMAND_TIMEOUT, lockWait: LOCK_WAIT },
    };
    const [busy, quiet] = [await apps.start(options), await apps.start(options)];
    const load = startCacheLoad(busy.cache, { concurrency: CONCURRENCY, keys: 400, loaderDelay: 5 });
    const quietLoad = startQuietCaller(quiet.cache, 50);
    await sleep(1_000);
    const [stallStart, stallEnd] = await stall(kind);
    await sleep(1_000);
    const [report, quietReport] = [await load.stop(), await quietLoad.stop()];
    await sleep(SETTLE);

    const orphaned = await lockKeys(env.direct, namespace);
    // A fresh instance touches keys loaded during the stall: an orphaned lock makes it wait lockWait.
    const touched = [...keysLoadedBetween(report.samples, stallStart, stallEnd).slice(0, 16), ...keysLoadedBetween(quietReport.samples, stallStart, stallEnd)];
    const fresh = await apps.start(options);
    const cold = await Promise.all(
      touched.map(async (key) => {
        const started = now();
        await fresh.cache.getOrSet(key, async () => valueOf(key));
        return now() - started;
      }),
    );

    const figures: Figures = {
      stall: figuresBetween(report.samples, stallStart, stallEnd),
      after: figuresBetween(report.samples, stallEnd, stallEnd + 1_000),
      quietStall: figuresBetween(quietReport.samples, stallStart, stallEnd),
      quietAfter: figuresBetween(quietReport.samples, stallEnd, stallEnd + 1_000),
      cold: latencyFigures(cold),
    };
    printFigures(`stall ${kind} L1=${l1}`, {
      'busy before': formatLatency(figuresBetween(report.samples, 0, stallStart)),
      'busy stall': formatLatency(figures.stall),
      'busy after(1s)': formatLatency(figures.after),
      'quiet stall': formatLatency(figures.quietStall),
      'quiet after(1s)': formatLatency(figures.quietAfter),
      bound: `${LATENCY_BOUND}ms`,
      'caller errors': report.errors.length + quietReport.errors.length,
      'loader calls': `${report.loaderCalls}+${quietReport.loaderCalls}`,
      'stale reads': report.wrongValues + quietReport.wrongValues,
      'orphaned locks': orphaned.length,
      'cold getOrSet after stall': formatLatency(figures.cold),
    });
    expect(symptoms([report, quietReport], figures, orphaned)).toEqual([]);
  }, 45_000);
});

type Figures = Record<'stall' | 'after' | 'quietStall' | 'quietAfter' | 'cold', LatencyFigures>;

function symptoms(reports: LoadReport[], figures: Figures, orphaned: string[]): readonly string[] {
  const violations = new Violations();
  const errors = reports.flatMap((report) => report.errors);
  const wrong = reports.reduce((sum, report) => sum + report.wrongValues, 0);
  violations.check(errors.length === 0, `${errors.length} calls rejected, e.g. ${errors.slice(0, 3).join('; ')}`);
  violations.check(wrong === 0, `${wrong} reads returned a wrong value`);
  for (const phase of ['stall', 'after', 'quietStall', 'quietAfter'] as const) {
    violations.check(figures[phase].max <= LATENCY_BOUND, `${phase}: a call took ${figures[phase].max}ms (bound ${LATENCY_BOUND}ms)`);
  }
  violations.check(orphaned.length === 0, `${orphaned.length} load locks left with no load in flight, e.g. ${orphaned.slice(0, 3).join(', ')}`);
  violations.check(figures.cold.max <= LATENCY_BOUND, `a fresh instance's getOrSet of a key loaded during the stall took ${figures.cold.max}ms (lockWait ${LOCK_WAIT}ms)`);
  return violations.list;
}
