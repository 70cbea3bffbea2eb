import { PeriodicTask } from '../timing/periodic-task.js';

/** What a {@link WorkerWatchdog} watches and how it recovers. */
export interface WorkerWatchdogHooks {
  /** Whether the worker should be fetching now: it has a free slot, the queue's Redis is ready, no shutdown. */
  canFetch(): boolean;
  /** Whether jobs are due (waiting, or delayed past their time); rejects when Redis does not answer in time. */
  hasDueJobs(): Promise<boolean>;
  /** Replaces the stalled worker, bounded, never rejecting; `stalledFor`: ms it started no job while jobs were due. */
  replace(stalledFor: number): Promise<void>;
}

/**
 * Notices a worker that stopped taking jobs while jobs are due (BullMQ's blocking fetch can hang for good
 * after a Redis Cluster node restarts), and has it replaced. Checks every `interval` ms (one check at a
 * time, timer unref'd); a worker counts as stalled once jobs were due at every check for `bound` ms and it
 * started none meanwhile. A check whose Redis call fails, or made while the worker cannot fetch, starts over.
 */
export class WorkerWatchdog {
  private readonly checks: PeriodicTask;
  private dueSince: number | undefined;
  private lastStart = 0;

  constructor(
    interval: number,
    private readonly bound: number,
    private readonly hooks: WorkerWatchdogHooks,
  ) {
    this.checks = new PeriodicTask(interval, () => this.check());
  }

  /** Starts checking (again, after a replacement). */
  start(): void {
    this.dueSince = undefined;
    this.checks.start();
  }

  /** Stops checking (shutdown). */
  stop(): void {
    this.checks.stop();
  }

  /** Records that the worker started a job. */
  jobStarted(): void {
    this.lastStart = Date.now();
  }

  private async check(): Promise<void> {
    const stalledFor = await this.stalledFor();
    if (stalledFor === undefined || stalledFor < this.bound || !this.checks.isStarted) return;
    this.dueSince = undefined;
    await this.hooks.replace(stalledFor);
  }

  /** How long jobs have been due with no job started, or `undefined` when none are due or that is unknown. */
  private async stalledFor(): Promise<number | undefined> {
    const due = this.hooks.canFetch() && (await this.hooks.hasDueJobs().catch(() => false));
    if (!due || !this.hooks.canFetch()) {
      this.dueSince = undefined;
      return undefined;
    }
    const now = Date.now();
    this.dueSince ??= now;
    return now - Math.max(this.dueSince, this.lastStart);
  }
}
