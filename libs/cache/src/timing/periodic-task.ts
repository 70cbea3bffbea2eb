/**
 * Runs an async task every `interval` ms while started, never two runs at once: a tick that comes while
 * the previous run is still going is skipped. The timer is unref'd, so it never keeps the process alive.
 * A run that rejects just ends; the task retries (or gives up) on its next tick.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly interval: number,
    private readonly task: () => Promise<void>,
  ) {}

  get isStarted(): boolean {
    return this.timer !== undefined;
  }

  /** Starts the ticks (no-op when started); `runNow` also runs the task at once. */
  start(runNow = false): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.interval);
    this.timer.unref();
    if (runNow) void this.tick();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.task();
    } catch {
      // NOTE: the next tick is the retry.
    } finally {
      this.running = false;
    }
  }
}
