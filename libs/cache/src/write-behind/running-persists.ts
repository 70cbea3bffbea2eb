import { withTimeout } from '../timing/with-timeout.js';

/** The persists this instance's worker is running, so shutdown can wait for them without asking Redis. */
export class RunningPersists {
  private readonly running = new Set<Promise<unknown>>();

  /** How many are running. */
  get size(): number {
    return this.running.size;
  }

  /** Counts `work` as running until it settles; returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const done = (): void => void this.running.delete(work);
    work.then(done, done);
    return work;
  }

  /** Resolves `true` once none is running (those started meanwhile included), `false` after `timeout` ms. */
  async settle(timeout: number): Promise<boolean> {
    const deadline = Date.now() + timeout;
    while (this.running.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await withTimeout(Promise.allSettled([...this.running]), left, 'persists still running').catch(() => undefined);
    }
    return true;
  }
}
