/**
 * Knows when the queue's Redis is down, so write-behind calls fall back at once instead of each waiting
 * for the enqueue timeout. Opens on a failed enqueue; while open, probes every `interval` ms (one probe at
 * a time, timer unref'd) and closes once a probe succeeds and `onRecover` (the owed fences) has run.
 */
export class QueueBreaker {
  private timer: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(
    private readonly interval: number,
    private readonly probe: () => Promise<void>,
    private readonly onRecover: () => Promise<void>,
  ) {}

  /** Whether the queue is known to be down. */
  get isOpen(): boolean {
    return this.timer !== undefined;
  }

  /** Marks the queue down and starts probing. */
  open(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tryClose(), this.interval);
    this.timer.unref();
  }

  /** Stops probing (shutdown). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tryClose(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      await this.probe();
      await this.onRecover();
      this.stop();
    } catch {
      // still down: the next tick probes again
    } finally {
      this.probing = false;
    }
  }
}
