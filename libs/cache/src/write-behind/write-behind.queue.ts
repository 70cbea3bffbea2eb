import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Job, Queue, Worker } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { CACHE_OPTIONS } from '../cache.constants.js';
import { loadedPeer } from '../peers/optional-peer.loader.js';
import type { ResolvedCacheOptions } from '../options/resolved-options.interface.js';
import { CacheStats } from '../stats/cache-stats.js';
import { closeConnection, connectRedis, type ManagedConnection } from '../stores/redis-connection.factory.js';
import { withTimeout } from '../timing/with-timeout.js';
import { OwedWrites } from './owed-writes.js';
import { PendingWriteStore } from './pending-write.store.js';
import { PersistJobs } from './persist-jobs.js';
import { QueueBreaker } from './queue-breaker.js';
import { RunningPersists } from './running-persists.js';
import { WorkerWatchdog } from './worker-watchdog.js';
import { LEASE, WriteBehindPersister } from './write-behind.persister.js';
import type { JobCounts, PersistFunction, PersistJob, QueuedWriteOptions } from './write-behind.types.js';
import { nextWriteSequence, runAsWrite } from './write-sequence.js';

export type { PersistFunction, QueuedWriteOptions } from './write-behind.types.js';

type BullMq = typeof import('bullmq');

/** Counts of {@link WriteBehindQueue.stats}. */
export interface WriteBehindStats extends JobCounts {
  /** Calls of this instance that ran the method at once because the queue could not take them. */
  fallbacks: number;
}

// NOTE: BullMQ needs maxRetriesPerRequest: null (its blocking worker connection must not give up) and
// queues commands while reconnecting; every public method bounds its own wait instead.
const BULLMQ_CONNECTION = { maxRetriesPerRequest: null, enableOfflineQueue: true, enableAutoPipelining: false };

// NOTE: the hash tag keeps every queue key and pending record in one Redis Cluster slot.
const QUEUE_PREFIX = '{wb}';
const SHUTDOWN_FLUSH_TIMEOUT = 30_000;
const CLOSE_TIMEOUT = 3_000;
const DEPTH_TIMEOUT = 500;
const RETRY_TIMEOUT = 5_000;
// NOTE: a killed worker's job returns to the queue after the lock lapses; the lease lapses first.
const LOCK_DURATION = LEASE + 2_000;
const STALLED_INTERVAL = 5_000;
// NOTE: a job stalls each time its worker dies; a write must not fail for that, so allow many.
const MAX_STALLED = 1_000;
// NOTE: BullMQ's fetch loop blocks at most 10 s, plus 1 s before its own watchdog gives up on a hung block,
// then looks for due jobs again; a worker that started no job for twice that while jobs were due is stalled.
const FETCH_BLOCK_LIMIT = 11_000;
const WORKER_STALL_BOUND = 2 * FETCH_BLOCK_LIMIT;

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
  private readonly jobs: PersistJobs | undefined;
  private readonly breaker: QueueBreaker | undefined;
  private readonly owed: OwedWrites | undefined;
  private readonly running = new RunningPersists();
  private readonly watchdog: WorkerWatchdog | undefined;
  private worker: Worker<PersistJob> | undefined;
  private startWhenReady: (() => void) | undefined;
  private closing = false;

  constructor(
    @Inject(CACHE_OPTIONS) private readonly options: ResolvedCacheOptions,
    private readonly cacheStats: CacheStats,
  ) {
    const settings = options.writeBehind;
    if (!settings) return;
    cacheStats.writeBehindDepth = async () => {
      const { pending, active, delayed } = await withTimeout(this.stats(), DEPTH_TIMEOUT, 'queue depth unavailable');
      return pending + active + delayed;
    };
    this.managed = connectRedis(settings.redis, `${options.namespace}:write-behind`, this.logger, BULLMQ_CONNECTION);
    const { Queue } = loadedPeer<BullMq>('bullmq');
    this.queue = new Queue<PersistJob>(options.namespace, { connection: this.managed.client, prefix: QUEUE_PREFIX });
    this.queue.on('error', (error) => this.logger.debug?.(`Queue: ${error.message}`));
    this.pending = new PendingWriteStore(this.managed.client, `${QUEUE_PREFIX}:${options.namespace}`);
    this.jobs = new PersistJobs(this.queue, this.pending);
    const client = this.managed.client;
    const owed = new OwedWrites({
      pending: this.pending,
      isConnected: () => client.status === 'ready',
      logger: this.logger,
      bounded: (work, what) => this.bounded(work, what),
      enqueue: (key, write) => this.enqueue(write.writer, key, write.args, write.sequence, write.options),
    });
    this.owed = owed;
    const concurrency = settings.concurrency ?? 1;
    const jobs = this.jobs;
    this.watchdog = new WorkerWatchdog(STALLED_INTERVAL, WORKER_STALL_BOUND, {
      canFetch: () => !this.closing && this.worker !== undefined && client.status === 'ready' && this.running.size < concurrency,
      hasDueJobs: () => jobs.hasDue(),
      replace: (stalledFor) => this.replaceWorker(client, stalledFor),
    });
    this.breaker = new QueueBreaker(
      settings.enqueueTimeout,
      async () => void (await withTimeout(client.ping(), settings.enqueueTimeout, 'queue Redis probe timed out')),
      () => owed.requeueAll(),
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
    const { breaker, owed } = this.require();
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
    const fence = await owed.fence(key, { writer, args, sequence, options: { ...options, delay: 0 } }, knownDown);
    if (fence === 'newer' || fence === 'handed') return undefined;
    this.cacheStats.writeBehindFallbacks += 1;
    return runAsWrite({ key, sequence }, runNow);
  }

  /** Resolves `true` once nothing is waiting, delayed or running (delayed first tries start now), `false` on timeout. */
  async drain(timeout: number): Promise<boolean> {
    const deadline = Date.now() + timeout;
    return withTimeout(this.require().jobs.settle(deadline, false), timeout, 'drain timed out').catch(() => false);
  }

  /** Jobs waiting, running, delayed and failed, and this instance's fallbacks; rejects when the queue does not answer within 2 s. */
  async stats(): Promise<WriteBehindStats> {
    return { ...(await this.require().jobs.counts()), fallbacks: this.cacheStats.writeBehindFallbacks };
  }

  /**
   * Queues every key with failed writes once more: one job per key, persisting its latest pending write
   * (never next to a persist of that key already queued). Resolves the number of keys retried; rejects
   * when the queue does not answer within 5 s.
   */
  async retryFailed(): Promise<number> {
    return withTimeout(this.require().jobs.retryFailed(this.defaults.attempts), RETRY_TIMEOUT, `retrying failed writes did not finish within ${RETRY_TIMEOUT}ms`);
  }

  onApplicationBootstrap(): void {
    const connection = this.managed?.client;
    if (!connection) return;
    // NOTE: a BullMQ worker on a Redis that never answers cannot be closed; it starts once Redis is ready.
    if (connection.status === 'ready') return this.startWorker(connection);
    this.startWhenReady = () => this.startWorker(connection);
    connection.once('ready', this.startWhenReady);
  }

  // NOTE: onModuleDestroy is the earliest shutdown hook (Nest runs every onModuleDestroy, then
  // beforeApplicationShutdown, then onApplicationShutdown); the worker stops here, after the flush.
  async onModuleDestroy(): Promise<void> {
    if (!this.queue) return;
    this.closing = true;
    this.watchdog?.stop();
    if (this.startWhenReady) this.managed?.client.off('ready', this.startWhenReady);
    if (this.options.writeBehind?.flushOnShutdown) await this.flush();
    if (this.worker) await this.stopWorker(this.worker);
  }

  async onApplicationShutdown(): Promise<void> {
    const queue = this.queue;
    if (!queue || !this.managed) return;
    this.breaker?.stop();
    await this.owed?.flush();
    // NOTE: never queue.disconnect(): it disconnects the connection we passed in (perhaps the application's)
    // and waits for an 'end' that an ioredis Cluster without reachable nodes never emits.
    await this.bounded(queue.close(), 'closing the write-behind queue', CLOSE_TIMEOUT).catch((error: Error) => this.logger.warn(error.message));
    const managed = this.managed;
    await this.bounded(closeConnection(managed), 'closing the queue connection', CLOSE_TIMEOUT).catch(() => managed.owned && managed.client.disconnect());
  }

  private async enqueue(writer: string, key: string, args: unknown[], sequence: number, options: QueuedWriteOptions): Promise<void> {
    const { jobs, pending } = this.require();
    if (await pending.record(key, writer, args, sequence)) await jobs.add(key, options);
  }

  private async flush(): Promise<void> {
    const connection = this.managed?.client;
    if (connection?.status !== 'ready' || this.breaker?.isOpen) {
      this.logger.warn('The write-behind queue is unreachable: pending writes stay queued in Redis for the next instance');
      return;
    }
    if (!this.worker) {
      this.logger.warn('Shutdown came while the write-behind worker was being replaced: pending writes stay queued in Redis for the next instance');
      return;
    }
    const deadline = Date.now() + SHUTDOWN_FLUSH_TIMEOUT;
    const done = await withTimeout(this.require().jobs.settle(deadline, true), SHUTDOWN_FLUSH_TIMEOUT, 'flush timed out').catch(() => false);
    if (!done) this.logger.warn('Write-behind flush incomplete; the remaining writes stay queued in Redis for the next instance');
  }

  // NOTE: BullMQ's graceful close() waits for its fetch loop and for the 'end' of the blocking connection it
  // duplicated from ours; on a Cluster with a node down or reconnecting neither may ever come (BullMQ #4656),
  // and a close() once started cannot be forced. So the wait for running persists is ours and bounded, and
  // close(true) then drops BullMQ's own blocking connection without waiting for Redis. A job still running
  // keeps its pending record and returns to the queue once its lock lapses.
  private async stopWorker(worker: Worker<PersistJob>): Promise<void> {
    await worker.pause(true);
    if (!(await this.running.settle(CLOSE_TIMEOUT))) {
      this.logger.warn(
        `${this.running.size} write-behind persist(s) still running after ${CLOSE_TIMEOUT}ms at shutdown; ` +
          'their writes stay queued in Redis for the next instance',
      );
    }
    await this.bounded(worker.close(true), 'closing the write-behind worker', CLOSE_TIMEOUT).catch((error: Error) => this.logger.warn(error.message));
  }

  // NOTE: a BullMQ worker stuck in recovering its blocking connection (seen after a Redis Cluster node
  // restart: it waits for a connect() that never settles) takes no job again, nor fails; it is closed
  // like at shutdown (close(true), bounded, never waiting for Redis) and a new one takes the jobs.
  private async replaceWorker(connection: Redis | Cluster, stalledFor: number): Promise<void> {
    const stalled = this.worker;
    if (!stalled || this.closing) return;
    this.logger.warn(`The write-behind worker started no job for ${Math.round(stalledFor / 1_000)}s while jobs were due; replacing it`);
    this.worker = undefined;
    await this.bounded(stalled.close(true), 'closing the stalled write-behind worker', CLOSE_TIMEOUT).catch((error: Error) => this.logger.warn(error.message));
    this.startWorker(connection);
  }

  private startWorker(connection: Redis | Cluster): void {
    if (this.worker || this.closing) return;
    const { pending, jobs, owed } = this.require();
    const persister = new WriteBehindPersister({
      pending,
      writers: this.writers,
      logger: this.logger,
      isClosing: () => this.closing,
      owesFence: (key) => owed.has(key),
      defer: (jobId) => jobs.deferred.add(jobId),
      requeue: (key) => this.enqueueAgain(key),
    });
    const { Worker } = loadedPeer<BullMq>('bullmq');
    const persist = (job: Job<PersistJob>, token?: string): Promise<void> => {
      this.watchdog?.jobStarted();
      return this.running.track(persister.process(job, token));
    };
    this.worker = new Worker<PersistJob>(this.options.namespace, persist, {
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
    this.watchdog?.start();
  }

  private async enqueueAgain(key: string): Promise<void> {
    await this.require().jobs.add(key, { delay: 0, attempts: this.defaults.attempts, backoff: 1_000 });
  }

  private bounded<T>(work: Promise<T>, what: string, timeout = this.options.writeBehind?.enqueueTimeout ?? 1_000): Promise<T> {
    return withTimeout(work, timeout, `${what}: the queue's Redis did not answer within ${timeout}ms`);
  }

  private require(): { jobs: PersistJobs; pending: PendingWriteStore; breaker: QueueBreaker; owed: OwedWrites } {
    if (!this.jobs || !this.pending || !this.breaker || !this.owed) {
      throw new Error('nestjs-tiered-cache: write-behind is not configured; pass CacheModule.forRoot({ writeBehind: { redis } })');
    }
    return { jobs: this.jobs, pending: this.pending, breaker: this.breaker, owed: this.owed };
  }
}
