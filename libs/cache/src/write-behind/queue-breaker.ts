import { PeriodicTask } from '../timing/periodic-task.js';

/**
 * Knows when the queue's Redis is down, so write-behind calls fall back at once instead of each waiting
 * for the enqueue timeout. Opens on a failed enqueue; while open, probes every `interval` ms (one probe at
 * a time, timer unref'd) and closes once a probe succeeds and `onRecover` (the owed fences) has run.
 */
export class QueueBreaker {
  private readonly probing: PeriodicTask;

  constructor(
    interval: number,
    private readonly probe: () => Promise<void>,
    private readonly onRecover: () => Promise<void>,
  ) {
    this.probing = new PeriodicTask(interval, () => this.tryClose());
  }

  /** Whether the queue is known to be down. */
  get isOpen(): boolean {
    return this.probing.isStarted;
  }

  /** Marks the queue down and starts probing. */
  open(): void {
    this.probing.start();
  }

  /** Stops probing (shutdown). */
  stop(): void {
    this.probing.stop();
  }

  /** Rejects while the queue is still down: the next tick probes again. */
  private async tryClose(): Promise<void> {
    await this.probe();
    await this.onRecover();
    this.stop();
  }
}
