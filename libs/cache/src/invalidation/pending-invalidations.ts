import type { Logger } from '@nestjs/common';
import type { InvalidationMessage } from './invalidation-message.js';

const FIRST_RETRY_DELAY = 100;
const LONGEST_RETRY_DELAY = 2_000;

/**
 * Invalidations whose Redis effect failed: kept (latest per key, deduplicated) and retried with backoff
 * until Redis answers, so an invalidation is never silently dropped. Until then, reads treat the keys,
 * tags or namespace as invalid in L2. Each item carries a sequence number so an invalidation repeated
 * while a retry is in flight is not forgotten when that retry succeeds.
 */
export class PendingInvalidations {
  private readonly keys = new Map<string, number>();
  private readonly tags = new Map<string, number>();
  private clearSequence = 0;
  private sequence = 0;
  private timer: NodeJS.Timeout | undefined;
  private delay = FIRST_RETRY_DELAY;

  constructor(
    private readonly apply: (message: InvalidationMessage) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** Whether nothing is waiting. */
  get isEmpty(): boolean {
    return this.clearSequence === 0 && this.keys.size === 0 && this.tags.size === 0;
  }

  /** Queues an invalidation that could not reach Redis. */
  add(message: InvalidationMessage): void {
    const sequence = ++this.sequence;
    if (message.clear) this.clearSequence = sequence;
    for (const key of message.keys ?? []) this.keys.set(key, sequence);
    for (const tag of message.tags ?? []) this.tags.set(tag, sequence);
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

  /** Stops retrying (module shutdown). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => void this.retry(), this.delay);
    this.timer.unref();
  }

  private async retry(): Promise<void> {
    this.timer = undefined;
    const keys = new Map(this.keys);
    const tags = new Map(this.tags);
    const clearSequence = this.clearSequence;
    try {
      await this.apply({ keys: [...keys.keys()], tags: [...tags.keys()], clear: clearSequence !== 0 });
    } catch {
      this.delay = Math.min(this.delay * 2, LONGEST_RETRY_DELAY);
      this.schedule();
      return;
    }
    forgetApplied(this.keys, keys);
    forgetApplied(this.tags, tags);
    if (this.clearSequence === clearSequence) this.clearSequence = 0;
    this.delay = FIRST_RETRY_DELAY;
    this.logger.log('Pending cache invalidations reached Redis');
    if (!this.isEmpty) this.schedule();
  }
}

function forgetApplied(pending: Map<string, number>, applied: Map<string, number>): void {
  for (const [item, sequence] of applied) {
    if (pending.get(item) === sequence) pending.delete(item);
  }
}
