// NOTE: the types the public WriteBehindQueue mentions live here, apart from the files that use BullMQ's
// types, so the published declarations never reference 'bullmq' (an optional peer a user may not install).

/** Per-write settings, durations in milliseconds. */
export interface QueuedWriteOptions {
  delay: number;
  attempts: number;
  backoff: number | { type: 'fixed' | 'exponential'; delay: number };
}

/** Jobs of the queue by state. */
export interface JobCounts {
  pending: number;
  active: number;
  delayed: number;
  failed: number;
}

/** What a queued write persists with: the decorated method, bound to its instance. */
export type PersistFunction = (args: unknown[]) => Promise<unknown>;

/** The data of a persist job: only the key; the arguments live in the pending record. */
export interface PersistJob {
  key: string;
}
