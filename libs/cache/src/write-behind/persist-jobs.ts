import type { Job, JobsOptions, Queue } from 'bullmq';
import { withTimeout } from '../timing/with-timeout.js';
import type { PendingWriteStore } from './pending-write.store.js';
import type { JobCounts, PersistJob, QueuedWriteOptions } from './write-behind.types.js';

const PAGE = 1_000;
const POLL = 50;
/** Longest wait for one answer of the queue's Redis when counting or draining. */
export const COUNT_TIMEOUT = 2_000;

/** The persist jobs of one queue: adding, counting, draining and retrying them, each call bounded in time. */
export class PersistJobs {
  /** Jobs put back during this instance's shutdown: a flush does not wait for them. */
  readonly deferred = new Set<string>();

  constructor(
    private readonly queue: Queue<PersistJob>,
    private readonly pending: PendingWriteStore,
  ) {}

  /** Queues a persist of `key`: one job per key; a job added while one runs is kept to run after it. */
  async add(key: string, options: QueuedWriteOptions): Promise<void> {
    await this.queue.add('persist', { key }, this.jobOptions(key, options));
  }

  /** Counts jobs; rejects when the queue's Redis does not answer within {@link COUNT_TIMEOUT}. */
  async counts(): Promise<JobCounts> {
    const counts = await this.bounded(this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'), 'counting jobs');
    return {
      pending: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
    };
  }

  /** Whether a job is due: waiting, or delayed past its time; rejects when the queue's Redis does not answer within {@link COUNT_TIMEOUT}. */
  async hasDue(): Promise<boolean> {
    const waiting = await this.bounded(this.queue.getJobCountByTypes('waiting', 'prioritized'), 'counting waiting jobs');
    return waiting > 0 || (await this.bounded(this.queue.getDelayedCount(Date.now()), 'counting due delayed jobs')) > 0;
  }

  /**
   * Starts delayed first tries at once and waits until nothing is waiting, running or delayed (`true`), or
   * `deadline` passes (`false`). Retries keep their backoff: a drain never uses up attempts. With `partial`
   * (the shutdown flush), also stops (`false`) once only retries and deferred jobs are left.
   */
  async settle(deadline: number, partial: boolean): Promise<boolean> {
    for (;;) {
      const delayed = await this.bounded(this.queue.getDelayed(0, PAGE - 1), 'reading delayed jobs');
      const startable = delayed.filter((job) => job.attemptsMade === 0 && !this.deferred.has(job.id ?? ''));
      await this.bounded(Promise.all(startable.map((job) => job.promote().catch(() => undefined))), 'starting delayed jobs');
      const { pending, active, delayed: stillDelayed } = await this.counts();
      if (pending + active + stillDelayed === 0) return true;
      if (partial && pending + active === 0 && startable.length === 0) return false;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, POLL));
    }
  }

  /** Replaces every key's failed jobs by one job (with the newest one's attempts and backoff); resolves the keys queued. */
  async retryFailed(defaultAttempts: number): Promise<number> {
    const failed: Job<PersistJob>[] = [];
    for (let start = 0; ; start += PAGE) {
      const page = await this.queue.getFailed(start, start + PAGE - 1);
      failed.push(...page);
      if (page.length < PAGE) break;
    }
    const newest = new Map<string, Job<PersistJob>>();
    for (const job of failed) {
      const seen = newest.get(job.data.key);
      if (!seen || seen.timestamp < job.timestamp) newest.set(job.data.key, job);
    }
    await Promise.all(failed.map((job) => job.remove()));
    let retried = 0;
    for (const [key, job] of newest) {
      if (!(await this.pending.read(key))) continue;
      const backoff = (job.opts.backoff ?? 1_000) as QueuedWriteOptions['backoff'];
      await this.add(key, { delay: 0, attempts: job.opts.attempts ?? defaultAttempts, backoff });
      retried += 1;
    }
    return retried;
  }

  private jobOptions(key: string, options: QueuedWriteOptions): JobsOptions {
    return {
      deduplication: { id: key, keepLastIfActive: true },
      delay: options.delay,
      attempts: options.attempts,
      backoff: options.backoff,
      removeOnComplete: true,
      removeOnFail: false,
    };
  }

  private bounded<T>(work: Promise<T>, what: string): Promise<T> {
    return withTimeout(work, COUNT_TIMEOUT, `${what}: the queue's Redis did not answer within ${COUNT_TIMEOUT}ms`);
  }
}
