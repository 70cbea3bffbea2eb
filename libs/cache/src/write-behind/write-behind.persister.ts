import { randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';
import type { Logger } from '@nestjs/common';
import type { PendingWriteStore } from './pending-write.store.js';
import { loadedPeer } from '../peers/optional-peer.loader.js';
import { runAsWrite } from './write-sequence.js';

/** What a queued write persists with: the decorated method, bound to its instance. */
export type PersistFunction = (args: unknown[]) => Promise<unknown>;

/** The data of a persist job: only the key; the arguments live in the pending record. */
export interface PersistJob {
  key: string;
}

/** How the persister reaches the rest of the queue. */
export interface PersisterHost {
  readonly pending: PendingWriteStore;
  readonly writers: ReadonlyMap<string, PersistFunction>;
  readonly logger: Logger;
  /** Whether the instance is shutting down: a failure then must not use up an attempt. */
  isClosing(): boolean;
  /** Whether this instance ran a write of `key` at once that it could not fence yet (see WriteBehindQueue). */
  owesFence(key: string): boolean;
  /** Remembers a job put back during shutdown, so a flush does not wait for it. */
  defer(jobId: string): void;
  /** Queues another persist of `key` (after the current job). */
  requeue(key: string): Promise<void>;
}

// NOTE: the lease fences synchronous fallbacks off a running persist; it is renewed while the method runs
// and lapses on its own when the worker dies, a little before BullMQ's lock (see LOCK_DURATION).
export const LEASE = 8_000;
const RENEW_EVERY = LEASE / 4;
const DEFER_ON_SHUTDOWN = 1_000;
const WAIT_FOR_FENCE = 500;
/** Newer writes persisted in a row by one job before it hands the key to a new job. */
const MAX_ROUNDS = 10;

/**
 * Runs one persist job: takes the key's lease, persists the latest pending write with the registered
 * writer, and settles the record; persists again while newer writes arrived meanwhile, so the last
 * write is always the last one applied.
 */
export class WriteBehindPersister {
  constructor(private readonly host: PersisterHost) {}

  async process(job: Job<PersistJob>, token: string | undefined): Promise<void> {
    const { key } = job.data;
    const owner = randomUUID();
    if (this.host.owesFence(key)) return this.postpone(job, token, WAIT_FOR_FENCE);
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const claim = await this.host.pending.claim(key, owner, LEASE);
      if (claim.state === 'none') return;
      if (claim.state === 'busy') return this.postpone(job, token, claim.retryIn);
      const outcome = await this.persistClaimed(job, token, key, owner);
      if (outcome !== 'changed') return;
    }
    await this.host.requeue(key);
  }

  private async persistClaimed(job: Job<PersistJob>, token: string | undefined, key: string, owner: string): Promise<string> {
    const { pending, writers } = this.host;
    const write = await pending.read(key);
    if (!write) {
      await pending.release(key, owner);
      return 'none';
    }
    try {
      const persist = writers.get(write.writer);
      if (!persist) throw new Error(`no writer '${write.writer}' registered in this instance`);
      await this.underLease(key, owner, () => runAsWrite({ key, sequence: write.sequence }, () => persist(write.args)));
    } catch (error) {
      await pending.release(key, owner).catch(() => undefined);
      if (!this.host.isClosing()) throw error;
      this.host.logger.warn(`Persisting '${key}' failed during shutdown (${(error as Error).message}); it stays queued for the next instance`);
      this.host.defer(job.id ?? '');
      return this.postpone(job, token, DEFER_ON_SHUTDOWN);
    }
    return pending.settle(key, owner, write.version);
  }

  private async underLease<T>(key: string, owner: string, work: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => {
      this.host.pending.renew(key, owner, LEASE).then(
        (held) => held || this.host.logger.warn(`Lost the write-behind lease of '${key}' while persisting it`),
        () => undefined,
      );
    }, RENEW_EVERY);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  // NOTE: moving the job to delayed by hand and throwing DelayedError does not use up an attempt.
  private async postpone(job: Job<PersistJob>, token: string | undefined, delay: number): Promise<never> {
    await job.moveToDelayed(Date.now() + Math.max(delay, 50), token);
    const { DelayedError } = loadedPeer<typeof import('bullmq')>('bullmq');
    throw new DelayedError();
  }
}
