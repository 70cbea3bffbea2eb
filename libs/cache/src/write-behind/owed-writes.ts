import type { Logger } from '@nestjs/common';
import type { FenceResult, PendingWriteStore } from './pending-write.store.js';
import type { QueuedWriteOptions } from './persist-jobs.js';

/** A write about to run (or run) at once because the queue could not take it. */
export interface OwedWrite {
  writer: string;
  args: unknown[];
  sequence: number;
  /** How to queue it again (no delay). */
  options: QueuedWriteOptions;
}

/** How {@link OwedWrites} reaches the queue, each call bounded by `enqueueTimeout`. */
export interface OwedWritesHost {
  readonly pending: PendingWriteStore;
  enqueue(key: string, write: OwedWrite): Promise<void>;
  bounded<T>(work: Promise<T>, what: string): Promise<T>;
  /** Whether the queue connection is up (a command sent now is not parked in its offline queue). */
  isConnected(): boolean;
  readonly logger: Logger;
}

/**
 * Writes run at once while the queue's Redis had not confirmed their fence. Each is queued again once it
 * answers (unless a newer write of the key is queued by then): should a worker have applied an older write
 * of the key meanwhile, this one is applied again after it, so it stays the last one applied.
 */
export class OwedWrites {
  private readonly owed = new Map<string, OwedWrite>();

  constructor(private readonly host: OwedWritesHost) {}

  /** Whether this instance owes a write of `key` (its worker then leaves the key alone). */
  has(key: string): boolean {
    return this.owed.has(key);
  }

  /**
   * Fences `key` before `write` runs at once: see {@link PendingWriteStore.fence}. With the queue known down,
   * or without an answer in time, resolves `undefined` and the write stays owed.
   */
  async fence(key: string, write: OwedWrite, knownDown: boolean): Promise<FenceResult | undefined> {
    this.owed.set(key, write);
    if (knownDown) return this.host.isConnected() ? this.requeueLater(key, write) : undefined;
    try {
      const result = await this.host.bounded(this.host.pending.fence(key, write.writer, write.args, write.sequence), `fencing '${key}'`);
      this.settle(key, write);
      return result;
    } catch {
      return undefined;
    }
  }

  /** Queues every owed write again; rejects at the first the queue does not take. */
  async requeueAll(): Promise<void> {
    for (const [key, write] of [...this.owed]) await this.requeue(key, write);
  }

  /** At shutdown: one last try, then the keys still owed are logged. */
  async flush(): Promise<void> {
    if (this.owed.size === 0) return;
    await this.requeueAll().catch(() => {
      const keys = [...this.owed.keys()];
      this.host.logger.error(
        `${keys.length} write(s) ran at once while the write-behind queue was down and could not be queued again; an older ` +
          `queued write of these keys may still be persisted after them (see writeBehindSequence): ${keys.slice(0, 20).join(', ')}` +
          (keys.length > 20 ? ', ...' : ''),
      );
    });
  }

  // NOTE: sent without waiting, on a connection that is up but slow or refusing: it is delivered in order,
  // ahead of later claims. While the connection is down, only the map keeps owed writes (one per key, not one
  // per call in the offline queue); the breaker's recovery queues them.
  private requeueLater(key: string, write: OwedWrite): undefined {
    this.requeue(key, write).catch(() => undefined);
    return undefined;
  }

  private async requeue(key: string, write: OwedWrite): Promise<void> {
    await this.host.bounded(this.host.enqueue(key, write), `queueing '${key}' again`);
    this.settle(key, write);
  }

  private settle(key: string, write: OwedWrite): void {
    if (this.owed.get(key) === write) this.owed.delete(key);
  }
}
