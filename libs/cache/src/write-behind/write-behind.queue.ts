import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Job, Queue, Worker } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { CACHE_OPTIONS } from '../cache.constants.js';
import type { ResolvedCacheOptions } from '../options/resolved-options.interface.js';
import { loadedPeer } from '../peers/optional-peer.loader.js';
import { CacheStats } from '../stats/cache-stats.js';
import { closeConnection, connectRedis, type ManagedConnection } from '../stores/redis-connection.factory.js';
import { withTimeout } from '../timing/with-timeout.js';
import { PendingWriteStore } from './pending-write.store.js';

/** What a queued write persists with: the decorated method, bound to its instance. */
export type PersistFunction = (args: unknown[]) => Promise<unknown>;

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
}

// NOTE: BullMQ needs maxRetriesPerRequest: null (its blocking worker connection must not give up) and
// queues commands while reconnecting; enqueue() bounds the wait itself.
const BULLMQ_CONNECTION = { maxRetriesPerRequest: null, enableOfflineQueue: true, enableAutoPipelining: false };

type BullMq = typeof import('bullmq');

// NOTE: the hash tag keeps every queue key and pending record in one Redis Cluster slot.
const QUEUE_PREFIX = '{wb}';
const ENQUEUE_TIMEOUT = 1_000;
const DRAIN_POLL = 50;
const SHUTDOWN_FLUSH_TIMEOUT = 30_000;
const CLOSE_TIMEOUT = 2_000;
const DEPTH_TIMEOUT = 500;

interface PersistJob {
  key: string;
}

/**
 * Write-behind on BullMQ: one job per key (deduplicated, `keepLastIfActive`: never two persists of one
 * key at once), the latest arguments in a versioned pending record, at-least-once with retries; failed
 * jobs stay retryable. Delayed writes survive a graceful shutdown in Redis unless `flushOnShutdown`.
 */
@Injectable()
export class WriteBehindQueue implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WriteBehind');
  private readonly writers = new Map<string, PersistFunction>();
  private readonly managed: ManagedConnection | undefined;
  private readonly queue: Queue<PersistJob> | undefined;
  private readonly pending: PendingWriteStore | undefined;
  private worker: Worker<PersistJob> | undefined;
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

  /** Queues `key`'s write; rejects (fast) when the queue's Redis cannot take it, so the caller writes itself. */
  async enqueue(writer: string, key: string, args: unknown[], options: QueuedWriteOptions): Promise<void> {
    const { queue, pending } = this.require();
    const add = async (): Promise<void> => {
      await pending.record(key, writer, args);
      await queue.add(
        'persist',
        { key },
        {
          deduplication: { id: key, keepLastIfActive: true },
          delay: options.delay,
          attempts: options.attempts,
          backoff: options.backoff,
          removeOnComplete: true,
          removeOnFail: false,
        },
      );
    };
    await withTimeout(add(), ENQUEUE_TIMEOUT, `the write-behind queue did not take '${key}' within ${ENQUEUE_TIMEOUT}ms`);
  }

  /** Resolves `true` once nothing is waiting, delayed or running (delayed writes are started now), `false` on timeout. */
  async drain(timeout: number): Promise<boolean> {
    const { queue } = this.require();
    const deadline = Date.now() + timeout;
    for (;;) {
      await queue.promoteJobs().catch(() => undefined);
      const { pending, active, delayed } = await this.stats();
      if (pending + active + delayed === 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL));
    }
  }

  /** Jobs waiting, running, delayed and failed. */
  async stats(): Promise<WriteBehindStats> {
    const counts = await this.require().queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
    return {
      pending: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
    };
  }

  /** Queues every failed write again. */
  async retryFailed(): Promise<void> {
    await this.require().queue.retryJobs({ state: 'failed' });
  }

  onApplicationBootstrap(): void {
    const connection = this.managed?.client;
    if (!connection) return;
    // NOTE: a BullMQ worker on a Redis that never answers cannot be closed; it starts once Redis is ready.
    if (connection.status === 'ready') this.startWorker(connection);
    else connection.once('ready', () => this.startWorker(connection));
  }

  private startWorker(connection: Redis | Cluster): void {
    if (this.worker || this.closing) return;
    const { Worker } = loadedPeer<BullMq>('bullmq');
    this.worker = new Worker<PersistJob>(this.options.namespace, (job) => this.persist(job), {
      connection,
      prefix: QUEUE_PREFIX,
      concurrency: this.options.writeBehind?.concurrency ?? 1,
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

  async onApplicationShutdown(): Promise<void> {
    if (!this.queue) return;
    this.closing = true;
    if (this.options.writeBehind?.flushOnShutdown && !(await this.drain(SHUTDOWN_FLUSH_TIMEOUT).catch(() => false))) {
      this.logger.warn('Write-behind flush timed out; the remaining writes stay queued in Redis');
    }
    const closing = Promise.all([this.worker?.close(), this.queue.close()]);
    // NOTE: BullMQ waits for its connections; with the queue Redis gone that would be forever.
    await withTimeout(closing, CLOSE_TIMEOUT, 'closing the write-behind queue timed out').catch((error: Error) => this.logger.warn(error.message));
    if (this.managed) await closeConnection(this.managed);
  }

  private async persist(job: Job<PersistJob>): Promise<void> {
    const { pending } = this.require();
    const write = await pending.read(job.data.key);
    if (!write) return;
    const persist = this.writers.get(write.writer);
    if (!persist) throw new Error(`no writer '${write.writer}' registered in this instance`);
    await persist(write.args);
    await pending.settle(job.data.key, write.version);
  }

  private require(): { queue: Queue<PersistJob>; pending: PendingWriteStore } {
    if (!this.queue || !this.pending) {
      throw new Error("nestjs-tiered-cache: write-behind is not configured; pass CacheModule.forRoot({ writeBehind: { redis } })");
    }
    return { queue: this.queue, pending: this.pending };
  }
}
