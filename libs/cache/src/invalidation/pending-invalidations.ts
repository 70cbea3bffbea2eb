import type { Logger } from '@nestjs/common';
import { withTimeout } from '../timing/with-timeout.js';
import type { InvalidationMessage } from './invalidation-message.js';
import { describeInvalidations } from './invalidation-outbox.js';
import { ThrottledWarning } from './throttled-warning.js';

const FIRST_RETRY_DELAY = 100;
const LONGEST_RETRY_DELAY = 2_000;
const MAX_PENDING_ITEMS = 10_000;
const MAX_ITEMS_PER_BATCH = 1_000;

/** Applies an invalidation to Redis (and publishes it); rejects on Redis trouble. */
export type ApplyInvalidation = (message: InvalidationMessage) => Promise<void>;

interface Batch {
  message: InvalidationMessage;
  /** Forgets what the batch applied, unless it was invalidated again meanwhile. */
  applied(): void;
}

/**
 * Invalidations whose Redis effect failed: kept (latest per key, deduplicated) and retried until Redis
 * answers, so an invalidation is never silently dropped. Until then, reads treat the keys, tags or
 * namespace as invalid in L2. Bounded: past 10,000 keys and tags they collapse into one namespace clear
 * (coarser, never lost). Retried in batches of at most 1,000 items, with backoff, and at once when the
 * L2 connection is ready again ({@link retryNow}). Each item carries a sequence number so an
 * invalidation repeated while a retry is in flight is not forgotten when that retry succeeds.
 */
export class PendingInvalidations {
  private readonly keys = new Map<string, number>();
  private readonly tags = new Map<string, number>();
  private clearSequence = 0;
  private sequence = 0;
  private timer: NodeJS.Timeout | undefined;
  private delay = FIRST_RETRY_DELAY;
  private running: Promise<boolean> | undefined;
  private apply: ApplyInvalidation | undefined;
  private stopped = false;

  private readonly late: ThrottledWarning;

  constructor(private readonly logger: Logger) {
    this.late = new ThrottledWarning(logger);
  }

  /** Sets how invalidations reach Redis (the cache service does, once). */
  attach(apply: ApplyInvalidation): void {
    this.apply = apply;
  }

  /** Whether nothing is waiting. */
  get isEmpty(): boolean {
    return this.clearSequence === 0 && this.keys.size === 0 && this.tags.size === 0;
  }

  /** Queues an invalidation that could not reach Redis. */
  add(message: InvalidationMessage): void {
    if (this.stopped) {
      this.late.warn(`${describeInvalidations([message])} invalidated after shutdown could not reach Redis; dropped`);
      return;
    }
    const sequence = ++this.sequence;
    const incoming = (message.keys?.length ?? 0) + (message.tags?.length ?? 0);
    const overflows = this.clearSequence === 0 && this.keys.size + this.tags.size + incoming > MAX_PENDING_ITEMS;
    if (overflows) this.logger.warn(`More than ${MAX_PENDING_ITEMS} invalidations are waiting for Redis; they will clear the namespace instead`);
    if (message.clear || this.clearSequence !== 0 || overflows) {
      this.collapse(sequence);
    } else {
      for (const key of message.keys ?? []) this.keys.set(key, sequence);
      for (const tag of message.tags ?? []) this.tags.set(tag, sequence);
    }
    this.schedule();
  }

  /** Whether L2 must not be trusted for `key` (or any of `tags`) yet. */
  blocks(key: string, tags: Readonly<Record<string, number>> | undefined): boolean {
    if (this.isEmpty) return false;
    if (this.clearSequence !== 0 || this.keys.has(key)) return true;
    for (const tag in tags) if (this.tags.has(tag)) return true;
    return false;
  }

  /** A later successful write of `key` to Redis supersedes its pending delete. */
  supersede(key: string): void {
    this.keys.delete(key);
  }

  /** Retries at once (the L2 connection is ready again) instead of waiting for the backoff. */
  retryNow(): void {
    if (this.stopped || this.isEmpty) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.delay = FIRST_RETRY_DELAY;
    void this.retry();
  }

  /**
   * Shutdown: one last attempt (bounded by `timeout` ms) to apply what is waiting; logs what is dropped.
   */
  async close(timeout: number): Promise<void> {
    this.stop();
    if (this.isEmpty) return;
    const applied = await withTimeout(this.applyAll(), timeout, 'shutdown').catch(() => false);
    if (applied && this.isEmpty) return;
    this.logger.warn(
      `Shutting down with ${describeInvalidations([this.snapshot()])} not invalidated in Redis; ` +
        'other instances may serve their old values until they expire',
    );
  }

  /** Stops retrying (module shutdown). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  // NOTE: while a clear is pending, every later invalidation is part of it; re-arming it with the new
  // sequence keeps a clear already in flight from counting for invalidations made after it was sent.
  private collapse(sequence: number): void {
    this.clearSequence = sequence;
    this.keys.clear();
    this.tags.clear();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setTimeout(() => void this.retry(), this.delay);
    this.timer.unref();
  }

  private async retry(): Promise<void> {
    this.timer = undefined;
    if (await this.applyAll()) {
      this.delay = FIRST_RETRY_DELAY;
      this.logger.log('Pending cache invalidations reached Redis');
      return;
    }
    this.delay = Math.min(this.delay * 2, LONGEST_RETRY_DELAY);
    this.schedule();
  }

  /** Applies everything waiting, batch by batch; `false` on the first failure (the rest stays queued). */
  private applyAll(): Promise<boolean> {
    this.running ??= this.applyBatches().finally(() => (this.running = undefined));
    return this.running;
  }

  private async applyBatches(): Promise<boolean> {
    if (this.apply === undefined) return false;
    for (let batch = this.nextBatch(); batch !== undefined; batch = this.nextBatch()) {
      try {
        await this.apply(batch.message);
      } catch {
        return false;
      }
      batch.applied();
    }
    return true;
  }

  private nextBatch(): Batch | undefined {
    const clearSequence = this.clearSequence;
    if (clearSequence !== 0) {
      const applied = (): void => {
        if (this.clearSequence === clearSequence) this.clearSequence = 0;
      };
      return { message: { clear: true }, applied };
    }
    if (this.keys.size > 0) {
      const keys = firstItems(this.keys);
      return { message: { keys: [...keys.keys()] }, applied: () => forgetApplied(this.keys, keys) };
    }
    if (this.tags.size > 0) {
      const tags = firstItems(this.tags);
      return { message: { tags: [...tags.keys()] }, applied: () => forgetApplied(this.tags, tags) };
    }
    return undefined;
  }

  private snapshot(): InvalidationMessage {
    return { keys: [...this.keys.keys()], tags: [...this.tags.keys()], clear: this.clearSequence !== 0 };
  }
}

function firstItems(pending: Map<string, number>): Map<string, number> {
  const batch = new Map<string, number>();
  for (const [item, sequence] of pending) {
    if (batch.size === MAX_ITEMS_PER_BATCH) break;
    batch.set(item, sequence);
  }
  return batch;
}

function forgetApplied(pending: Map<string, number>, applied: Map<string, number>): void {
  for (const [item, sequence] of applied) {
    if (pending.get(item) === sequence) pending.delete(item);
  }
}
