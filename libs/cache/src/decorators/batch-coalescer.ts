import { hashArguments } from '../keys/argument-hash.js';

/** Loads the values of `ids` (aligned with them) for a call with arguments `args`. */
export type BatchRun = (ids: readonly unknown[], args: readonly unknown[]) => Promise<readonly unknown[]>;

interface Waiter {
  start: number;
  count: number;
  resolve: (values: unknown[]) => void;
  reject: (error: unknown) => void;
}

interface PendingBatch {
  ids: unknown[];
  args: readonly unknown[];
  waiters: Waiter[];
}

/**
 * DataLoader-style coalescing: the calls one instance gets within one tick, with the same arguments
 * after the ids, run as one batch of all their ids; each caller gets the values of its own ids.
 */
export class BatchCoalescer {
  private readonly pending = new WeakMap<object, Map<string, PendingBatch>>();

  /** Queues `ids` for the batch of `instance` and the other arguments; resolves with their values. */
  enqueue(instance: object, ids: readonly unknown[], args: readonly unknown[], run: BatchRun): Promise<unknown[]> {
    const groups = this.pending.get(instance) ?? new Map<string, PendingBatch>();
    this.pending.set(instance, groups);
    const group = args.length > 1 ? hashArguments(args.slice(1)) : '';
    let batch = groups.get(group);
    if (batch === undefined) {
      const created: PendingBatch = { ids: [], args, waiters: [] };
      groups.set(group, created);
      // NOTE: as DataLoader does: after the Promise jobs queued so far, so callers resolving in the same tick join.
      void Promise.resolve().then(() => process.nextTick(() => this.flush(groups, group, created, run)));
      batch = created;
    }
    const { ids: queued, waiters } = batch;
    return new Promise((resolve, reject) => {
      waiters.push({ start: queued.length, count: ids.length, resolve, reject });
      queued.push(...ids);
    });
  }

  private flush(groups: Map<string, PendingBatch>, group: string, batch: PendingBatch, run: BatchRun): void {
    groups.delete(group);
    run(batch.ids, [batch.ids, ...batch.args.slice(1)]).then(
      (values) => batch.waiters.forEach(({ start, count, resolve }) => resolve(values.slice(start, start + count))),
      (error: unknown) => batch.waiters.forEach(({ reject }) => reject(error)),
    );
  }
}
