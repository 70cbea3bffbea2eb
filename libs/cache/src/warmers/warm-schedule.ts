import { CronTime } from 'cron';

/** The longest delay `setTimeout` honours; a later tick is reached in several waits. */
const MAX_TIMER = 2 ** 31 - 1;

/** What the schedule needs of time; real timers in production, a controllable double in tests. */
export interface ScheduleClock {
  now(): number;
  setTimeout(callback: () => void, delay: number): NodeJS.Timeout;
  clearTimeout(timer: NodeJS.Timeout): void;
}

const SYSTEM_CLOCK: ScheduleClock = {
  now: () => Date.now(),
  setTimeout: (callback, delay) => setTimeout(callback, delay),
  clearTimeout: (timer) => clearTimeout(timer),
};

/**
 * Fires `onTick(scheduledAt)` for the instants of a six-field cron expression, `scheduledAt` being the
 * instant itself (epoch ms), not the time the timer ran: event-loop lag or a late timer never changes a
 * tick's identity, so instances agree on it without rounding clocks.
 * NOTE: instants missed while the process was stalled are skipped, not replayed; the next one is the
 * first after the late tick and after now.
 */
export class WarmSchedule {
  private readonly time: CronTime;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;

  /** Throws on an invalid cron expression. */
  constructor(
    cron: string,
    private readonly onTick: (scheduledAt: number) => void,
    private readonly clock: ScheduleClock = SYSTEM_CLOCK,
  ) {
    this.time = new CronTime(cron);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.waitFor(this.nextAfter(this.clock.now()));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private nextAfter(from: number): number {
    return this.time.getNextDateFrom(new Date(from)).toMillis();
  }

  private waitFor(scheduledAt: number): void {
    if (this.stopped) return;
    const delay = scheduledAt - this.clock.now();
    if (delay > 0) {
      this.timer = this.clock.setTimeout(() => this.waitFor(scheduledAt), Math.min(delay, MAX_TIMER));
      return;
    }
    this.waitFor(this.nextAfter(Math.max(scheduledAt, this.clock.now())));
    this.onTick(scheduledAt);
  }
}
