import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Queue, Worker, type Job } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { CACHE_OPTIONS } from '../cache.constants.js';
import type { ResolvedCacheOptions } from '../options/resolved-options.interface.js';
import { CacheStats } from '../stats/cache-stats.js';
import { closeConnection, connectRedis, type ManagedConnection } from '../stores/redis-connection.factory.js';
import { withTimeout } from '../timing/with-timeout.js';
import { PendingWriteStore, type FenceResult } from './pending-write.store.js';
import { QueueBreaker } from './queue-breaker.js';
import { LEASE, WriteBehindPersister, type PersistFunction, type PersistJob } from './write-behind.persister.js';
import { nextWriteSequence, runAsWrite } from './write-sequence.js';

export type { PersistFunction } from './write-behind.persister.js';

/** Per-write settings, durations in milliseconds. */
export interface QueuedWriteOptions {
  delay: number;
  attempts: number;
  backoff: number | { type: 'fixed' | 'exponential'; delay: number };
}

/** Counts of {@link WriteBehindQueue.stats}. */
export interface WriteBehindStats {
  pending: number;
  active: number;
  delayed: number;
  failed: number;
  /** Calls of this instance that ran the method at once because the queue could not take them. */
  fallbacks: number;
}

/** A write run at once without a confirmed fence: queued again once the queue answers (see owedWrites). */
interface OwedWrite {
  writer: string;
  args: unknown[];
  sequence: number;
  options: QueuedWriteOptions;
}

// NOTE: BullMQ needs maxRetriesPerRequest: null (its blocking worker connection must not give up) and
// queues commands while reconnecting; every public method bounds its own wait instead.
const BULLMQ_CONNECTION = { maxRetriesPerRequest: null, enableOfflineQueue: true, enableAutoPipelining: false };

// NOTE: the hash tag keeps every queue key and pending record in one Redis Cluster slot.
const QUEUE_PREFIX = '{wb}';
const DRAIN_POLL = 50;
const PAGE = 1_000;
const SHUTDOWN_FLUSH_TIMEOUT = 30_000;
const CLOSE_TIMEOUT = 3_000;
const STATS_TIMEOUT = 2_000;
const RETRY_TIMEOUT = 5_000;
// NOTE: a killed worker's job returns to the queue after the lock lapses; the lease lapses first.
const LOCK_DURATION = LEASE + 2_000;
const STALLED_INTERVAL = 5_000;
// NOTE: a job stalls each time its worker dies; a write must not fail for that, so allow many.
const MAX_STALLED = 1_000;

/**
 * Write-behind on BullMQ: one job per key (deduplicated, `keepLastIfActive`), the latest arguments in a
 * pending record with a sequence, persisted under a per-key lease (never two persists of one key at
 * once, never an older write last), at-least-once with retries; failed jobs stay retryable. When the
 * queue cannot take a write, the record is fenced and the method runs at once. Every public method and
 * the shutdown honour a deadline whatever the queue's Redis does.
 */
@Injectable()
export class WriteBehindQueue implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger('WriteBehind');
  private readonly writers = new Map<string, PersistFunction>();
  private readonly managed: ManagedConnection | undefined;
  private readonly queue: Queue<PersistJob> | undefined;
  private readonly pending: PendingWriteStore | undefined;
  private readonly breaker: QueueBreaker | undefined;
  /**
   * Writes run at once while the queue's Redis did not confirm their fence. Each is queued again once it
   * answers (unless a newer write of the key is queued by then): should a worker have applied an older write
   * of the key meanwhile, this one is applied again after it, so it stays the last one applied.
   */
  private readonly owedWrites = new Map<string, OwedWrite>();
  /** Jobs put back during this shutdown's flush. */
  private readonly deferred = new Set<string>();
  private worker: Worker<PersistJob> | undefined;
  private closing = false;

  constructor(
    @Inject(CACHE_OPTIONS) private readonly options: ResolvedCacheOptions,
    private readonly cacheStats: CacheStats,
  ) {
    const settings = options.writeBehind;
    if (!settings) return;
    cacheStats.writeBehindDepth = async () => {
      const { pending, active, delayed } = await this.stats();
      return pending + active + delayed;
    };
    this.managed = connectRedis(settings.redis, `${options.namespace}:write-behind`, this.logger, BULLMQ_CONNECTION);
    this.queue = new Queue<PersistJob>(options.namespace, { connection: this.managed.client, prefix: QUEUE_PREFIX });
    this.queue.on('error', (error) => this.logger.debug?.(`Queue: ${error.message}`));
    this.pending = new PendingWriteStore(this.managed.client, `${QUEUE_PREFIX}:${options.namespace}`);
    const client = this.managed.client;
    this.breaker = new QueueBreaker(
      settings.enqueueTimeout,
      async () => void (await withTimeout(client.ping(), settings.enqueueTimeout, 'queue Redis probe timed out')),
      () => this.requeueOwedWrites(),
    );
  }

  /** Whether `writeBehind` is configured. */
  get isEnabled(): boolean {
    return this.queue !== undefined;
  }

  /** The module's default delay and attempts, in milliseconds. */
  get defaults(): { delay: number; attempts: number } {
    const settings = this.options.writeBehind;
    return { delay: settings?.delay ?? 0, attempts: settings?.attempts ?? 1 };
  }

  /** Registers how writes named `writer` are persisted (done by the decorator explorer at init). */
  register(writer: string, persist: PersistFunction): void {
    this.writers.set(writer, persist);
  }

  /**
   * Queues `key`'s write; when the queue cannot take it (refused, slower than `enqueueTimeout`, or known
   * down), fences the key's older pending write and runs `runNow` instead: a write is never lost.
   */
  async write(writer: string, key: string, args: unknown[], options: QueuedWriteOptions, runNow: () => Promise<unknown>): Promise<unknown> {
    const sequence = nextWriteSequence();
    const breaker = this.require().breaker;
    const knownDown = breaker.isOpen;
    if (!knownDown) {
      try {
        await this.bounded(this.enqueue(writer, key, args, sequence, options), `the write-behind queue did not take '${key}'`);
        return undefined;
      } catch (error) {
        this.logger.debug?.(`Writing '${key}' at once: ${(error as Error).message}`);
        breaker.open();
      }
    }
    const owed = { writer, args, sequence, options: { ...options, delay: 0 } };
    this.owedWrites.set(key, owed);
    const fence = knownDown ? this.requeueLater(key, owed) : await this.fence(key, owed);
    if (fence === 'newer' || fence === 'handed') return undefined;
    this.cacheStats.writeBehindFallbacks += 1;
    return runAsWrite({ key, sequence }, runNow);
  }

  /** Resolves `true` once nothing is waiting, delayed or running (delayed first tries start now), `false` on timeout. */
  async drain(timeout: number): Promise<boolean> {
    const deadline = Date.now() + timeout;
    return withTimeout(this.settle(deadline, false), timeout, 'drain timed out').catch(() => false);
  }

  /** Jobs waiting, running, delayed and failed, and this instance's fallbacks; rejects when the queue does not answer within 2 s. */
  async stats(): Promise<WriteBehindStats> {
    const { queue } = this.require();
    const counts = await withTimeout(
      queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'),
      STATS_TIMEOUT,
      `the write-behind queue did not answer within ${STATS_TIMEOUT}ms`,
    );
    return {
      pending: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
      fallbacks: this.cacheStats.writeBehindFallbacks,
    };
  }

  /**
   * Queues every key with failed writes once more: one job per key, persisting its latest pending write
   * (never next to a persist of that key already queued). Resolves the number of keys retried; rejects
   * when the queue does not answer within 5 s.
   */
  async retryFailed(): Promise<number> {
    return withTimeout(this.retryFailedJobs(), RETRY_TIMEOUT, `retrying failed writes did not finish within ${RETRY_TIMEOUT}ms`);
  }

  onApplicationBootstrap(): void {
    const connection = this.managed?.client;
    if (!connection) return;
    // NOTE: a BullMQ worker on a Redis that never answers cannot be closed; it starts once Redis is ready.
    if (connection.status === 'ready') this.startWorker(connection);
    else connection.once('ready', () => this.startWorker(connection));
  }

  // NOTE: onModuleDestroy is the earliest shutdown hook (Nest runs every onModuleDestroy, then
  // beforeApplicationShutdown, then onApplicationShutdown); the worker stops here, after the flush.
  async onModuleDestroy(): Promise<void> {
    if (!this.queue) return;
    this.closing = true;
    if (this.options.writeBehind?.flushOnShutdown) await this.flush();
    const worker = this.worker;
    if (worker) await this.bounded(worker.close(), 'closing the write-behind worker', CLOSE_TIMEOUT).catch(() => worker.disconnect());
  }

  async onApplicationShutdown(): Promise<void> {
    const queue = this.queue;
    if (!queue || !this.managed) return;
    this.breaker?.stop();
    if (this.owedWrites.size > 0) await this.requeueOwedWrites().catch(() => this.warnUnfenced());
    // NOTE: BullMQ waits for its connections; with the queue Redis gone that would be forever.
    await this.bounded(queue.close(), 'closing the write-behind queue', CLOSE_TIMEOUT).catch(() => queue.disconnect());
    const managed = this.managed;
    await this.bounded(closeConnection(managed), 'closing the queue connection', CLOSE_TIMEOUT).catch(() => managed.owned && managed.client.disconnect());
  }

  private async enqueue(writer: string, key: string, args: unknown[], sequence: number, options: QueuedWriteOptions): Promise<void> {
    const { queue, pending } = this.require();
    if (!(await pending.record(key, writer, args, sequence))) return;
    await queue.add('persist', { key }, { ...this.jobOptions(key, options), delay: options.delay });
  }

  private jobOptions(key: string, options: Omit<QueuedWriteOptions, 'delay'>): object {
    return {
      deduplication: { id: key, keepLastIfActive: true },
      attempts: options.attempts,
      backoff: options.backoff,
      removeOnComplete: true,
      removeOnFail: false,
    };
  }

  /** Fences `key` before a synchronous write; `undefined` when the queue's Redis did not confirm it (the write is then owed). */
  private async fence(key: string, owed: OwedWrite): Promise<FenceResult | undefined> {
    const { pending } = this.require();
    try {
      const result = await this.bounded(pending.fence(key, owed.writer, owed.args, owed.sequence), `fencing '${key}'`);
      this.settleOwed(key, owed);
      return result;
    } catch {
      return undefined;
    }
  }

  // NOTE: sent without waiting: the connection keeps it (offline queue) and delivers it, in order, as soon as
  // the queue's Redis answers again; the breaker's recovery sends again what failed outright.
  private requeueLater(key: string, owed: OwedWrite): undefined {
    this.requeueOwed(key, owed).catch(() => undefined);
    return undefined;
  }

  private async requeueOwedWrites(): Promise<void> {
    for (const [key, owed] of [...this.owedWrites]) await this.requeueOwed(key, owed);
  }

  private async requeueOwed(key: string, owed: OwedWrite): Promise<void> {
    await this.bounded(this.enqueue(owed.writer, key, owed.args, owed.sequence, owed.options), `queueing '${key}' again`);
    this.settleOwed(key, owed);
  }

  private settleOwed(key: string, owed: OwedWrite): void {
    if (this.owedWrites.get(key) === owed) this.owedWrites.delete(key);
  }

  private warnUnfenced(): void {
    const keys = [...this.owedWrites.keys()];
    this.logger.error(
      `${keys.length} write(s) ran at once while the write-behind queue was down and could not be queued again; an older queued ` +
        `write of these keys may still be persisted after them (see writeBehindSequence): ${keys.slice(0, 20).join(', ')}${keys.length > 20 ? ', ...' : ''}`,
    );
  }

  private async flush(): Promise<void> {
    const connection = this.managed?.client;
    if (connection?.status !== 'ready' || this.breaker?.isOpen || !this.worker) {
      this.logger.warn('The write-behind queue is unreachable: pending writes stay queued in Redis for the next instance');
      return;
    }
    const deadline = Date.now() + SHUTDOWN_FLUSH_TIMEOUT;
    const done = await withTimeout(this.settle(deadline, true), SHUTDOWN_FLUSH_TIMEOUT, 'flush timed out').catch(() => false);
    if (!done) this.logger.warn('Write-behind flush incomplete; the remaining writes stay queued in Redis for the next instance');
  }

  /**
   * Starts delayed first tries at once and waits until nothing is waiting or running. Retries keep their
   * backoff (a drain never uses up attempts); with `partial`, stops once only those and jobs put back
   * during shutdown are left.
   */
  private async settle(deadline: number, partial: boolean): Promise<boolean> {
    const { queue } = this.require();
    for (;;) {
      const delayed = await this.bounded(queue.getDelayed(0, PAGE - 1), 'reading delayed writes', STATS_TIMEOUT);
      const startable = delayed.filter((job) => job.attemptsMade === 0 && !this.deferred.has(job.id ?? ''));
      await this.bounded(Promise.all(startable.map((job) => job.promote().catch(() => undefined))), 'starting delayed writes', STATS_TIMEOUT);
      const { pending, active, delayed: stillDelayed } = await this.stats();
      if (pending + active + stillDelayed === 0) return true;
      if (partial && pending + active === 0 && startable.length === 0) return false;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL));
    }
  }

  private async retryFailedJobs(): Promise<number> {
    const { queue, pending } = this.require();
    const failed: Job<PersistJob>[] = [];
    for (let start = 0; ; start += PAGE) {
      const page = await queue.getFailed(start, start + PAGE - 1);
      failed.push(...page);
      if (page.length < PAGE) break;
    }
    const latest = new Map<string, Job<PersistJob>>();
    for (const job of failed) {
      const seen = latest.get(job.data.key);
      if (!seen || seen.timestamp < job.timestamp) latest.set(job.data.key, job);
    }
    await Promise.all(failed.map((job) => job.remove()));
    let retried = 0;
    for (const [key, job] of latest) {
      if (!(await pending.read(key))) continue;
      const { attempts = this.defaults.attempts, backoff } = job.opts;
      await queue.add('persist', { key }, this.jobOptions(key, { attempts, backoff: backoff as QueuedWriteOptions['backoff'] }));
      retried += 1;
    }
    return retried;
  }

  private startWorker(connection: Redis | Cluster): void {
    if (this.worker || this.closing) return;
    const { pending } = this.require();
    const persister = new WriteBehindPersister({
      pending,
      writers: this.writers,
      logger: this.logger,
      isClosing: () => this.closing,
      owesFence: (key) => this.owedWrites.has(key),
      defer: (jobId) => this.deferred.add(jobId),
      requeue: (key) => this.enqueueAgain(key),
    });
    this.worker = new Worker<PersistJob>(this.options.namespace, (job, token) => persister.process(job, token), {
      connection,
      prefix: QUEUE_PREFIX,
      concurrency: this.options.writeBehind?.concurrency ?? 1,
      lockDuration: LOCK_DURATION,
      stalledInterval: STALLED_INTERVAL,
      maxStalledCount: MAX_STALLED,
    });
    this.worker.on('error', (error) => this.logger.debug?.(`Worker: ${error.message}`));
    this.worker.on('failed', (job, error) => {
      this.cacheStats.writeBehindFailed += 1;
      this.logger.warn(`Persisting '${job?.data.key}' failed: ${error.message}`);
    });
    this.worker.on('completed', (job) => {
      const due = job.timestamp + (job.opts.delay ?? 0);
      this.cacheStats.onWriteBehindLag?.(Math.max(0, Date.now() - due) / 1_000);
    });
  }

  private async enqueueAgain(key: string): Promise<void> {
    await this.require().queue.add('persist', { key }, this.jobOptions(key, { attempts: this.defaults.attempts, backoff: 1_000 }));
  }

  private bounded<T>(work: Promise<T>, what: string, timeout = this.options.writeBehind?.enqueueTimeout ?? 1_000): Promise<T> {
    return withTimeout(work, timeout, `${what}: the queue's Redis did not answer within ${timeout}ms`);
  }

  private require(): { queue: Queue<PersistJob>; pending: PendingWriteStore; breaker: QueueBreaker } {
    if (!this.queue || !this.pending || !this.breaker) {
      throw new Error('nestjs-tiered-cache: write-behind is not configured; pass CacheModule.forRoot({ writeBehind: { redis } })');
    }
    return { queue: this.queue, pending: this.pending, breaker: this.breaker };
  }
}
