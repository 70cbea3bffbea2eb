import { PeriodicTask } from './periodic-task.js';

const INTERVAL = 10;
const pause = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe('PeriodicTask', () => {
  it('never runs the task twice at once: ticks during a slow run are skipped', async () => {
    let running = 0;
    let mostAtOnce = 0;
    let runs = 0;
    const task = new PeriodicTask(INTERVAL, async () => {
      running += 1;
      runs += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await pause(10 * INTERVAL);
      running -= 1;
    });
    task.start(true);
    await pause(25 * INTERVAL);
    task.stop();
    expect(mostAtOnce).toBe(1);
    expect(runs).toBeLessThanOrEqual(3);
  });

  it('keeps ticking after a run rejects, and stops for good on stop()', async () => {
    let runs = 0;
    const task = new PeriodicTask(INTERVAL, async () => {
      runs += 1;
      throw new Error('still down');
    });
    task.start();
    expect(task.isStarted).toBe(true);
    const deadline = Date.now() + 5_000;
    while (runs < 3 && Date.now() < deadline) await pause(INTERVAL);
    task.stop();
    const stoppedAt = runs;
    await pause(5 * INTERVAL);
    expect(stoppedAt).toBeGreaterThanOrEqual(3);
    expect(runs).toBe(stoppedAt);
    expect(task.isStarted).toBe(false);
  });
});
