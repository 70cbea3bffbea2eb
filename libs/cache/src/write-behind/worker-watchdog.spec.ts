import { WorkerWatchdog, type WorkerWatchdogHooks } from './worker-watchdog.js';

const INTERVAL = 20;
const BOUND = 150;
const pause = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** A watchdog over a worker double; `replacements` lists each replacement's `stalledFor`. */
function watch(hooks: Partial<WorkerWatchdogHooks> = {}): { watchdog: WorkerWatchdog; replacements: number[] } {
  const replacements: number[] = [];
  const watchdog = new WorkerWatchdog(INTERVAL, BOUND, {
    canFetch: () => true,
    hasDueJobs: async () => true,
    replace: async (stalledFor) => void replacements.push(stalledFor),
    ...hooks,
  });
  watchdog.start();
  return { watchdog, replacements };
}

describe('WorkerWatchdog', () => {
  it('replaces a worker that started no job for its bound while jobs were due, once per stall', async () => {
    const { watchdog, replacements } = watch();
    await pause(BOUND + 4 * INTERVAL);
    watchdog.stop();
    expect(replacements).toHaveLength(1);
    expect(replacements[0]).toBeGreaterThanOrEqual(BOUND);
  });

  it('leaves a worker alone that keeps starting jobs', async () => {
    const { watchdog, replacements } = watch();
    const starts = setInterval(() => watchdog.jobStarted(), INTERVAL);
    await pause(3 * BOUND);
    clearInterval(starts);
    watchdog.stop();
    expect(replacements).toEqual([]);
  });

  it('starts over when no job is due, the worker cannot fetch, or the queue does not answer', async () => {
    for (const interruption of ['none due', 'cannot fetch', 'no answer']) {
      let interrupted = false;
      const toggle = setInterval(() => (interrupted = !interrupted), BOUND / 3);
      const { watchdog, replacements } = watch({
        canFetch: () => !(interrupted && interruption === 'cannot fetch'),
        hasDueJobs: async () => {
          if (interrupted && interruption === 'no answer') throw new Error('the queue Redis did not answer');
          return !(interrupted && interruption === 'none due');
        },
      });
      await pause(3 * BOUND);
      clearInterval(toggle);
      watchdog.stop();
      expect(replacements).toEqual([]);
    }
  });

  it('runs one check at a time and none after stop()', async () => {
    let checks = 0;
    const { watchdog } = watch({ hasDueJobs: () => ((checks += 1), pause(5 * INTERVAL).then(() => false)) });
    await pause(10 * INTERVAL);
    expect(checks).toBeLessThanOrEqual(3);
    watchdog.stop();
    const stopped = checks;
    await pause(5 * INTERVAL);
    expect(checks).toBe(stopped);
  });
});
