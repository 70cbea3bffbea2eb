import { RunningPersists } from './running-persists.js';

const later = <T>(milliseconds: number, value: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), milliseconds));

describe('RunningPersists', () => {
  it('settles once every persist finished, those started while waiting included, failures too', async () => {
    const running = new RunningPersists();
    const failing = running.track(later(20, undefined).then(() => Promise.reject(new Error('the database is down'))));
    failing.catch(() => undefined);
    void running.track(later(30, 1)).then(() => running.track(later(30, 2)));
    await expect(running.settle(2_000)).resolves.toBe(true);
    expect(running.size).toBe(0);
  });

  it('gives up at its timeout while a persist never settles', async () => {
    const running = new RunningPersists();
    void running.track(new Promise(() => undefined));
    const started = Date.now();
    await expect(running.settle(100)).resolves.toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(running.size).toBe(1);
  });

  it('returns the tracked work unchanged', async () => {
    await expect(new RunningPersists().track(Promise.resolve('persisted'))).resolves.toBe('persisted');
  });
});
