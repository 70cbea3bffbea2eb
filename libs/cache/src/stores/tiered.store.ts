import type { Logger } from '@nestjs/common';
import type { InvalidationMessage, InvalidationPublisher } from '../invalidation/invalidation-message.js';
import type { PendingInvalidations } from '../invalidation/pending-invalidations.js';
import type { InvalidationLog } from '../invalidation/invalidation-log.js';
import { entryValue, type EncodedEntry } from '../serialization/envelope.codec.js';
import { serialize } from '../serialization/value.serializer.js';
import type { CacheStats, TimedOperation } from '../stats/cache-stats.js';
import type { CacheEntry } from './cache-entry.interface.js';
import type { MemoryStore } from './memory.store.js';
import type { RedisStore } from './redis.store.js';

/** Timing and tags of a value about to be written. */
export interface EntryPlan {
  ttl: number;
  grace: number;
  tags: readonly string[];
  /** `false` keeps the entry out of L1. */
  l1?: boolean;
  /** How long the loader took, in milliseconds, when the value comes from one. */
  loadDuration?: number;
}

/** Where invalidations stood before a value was produced: the log position and tag versions per tier. */
export interface TagSnapshot {
  position: number;
  l1: Record<string, number>;
  /** `undefined` when Redis could not be asked: the value is then not written to L2. */
  l2: Record<string, number> | undefined;
}

/**
 * The two tiers as one cache: L1 first, then L2 (promoting to L1). Redis trouble is absorbed here:
 * reads degrade to a miss, writes to L1 only, invalidations are applied to L1 at once and retried
 * against Redis until it answers. Every change that reached Redis is published to other instances.
 */
export class TieredStore {
  constructor(
    readonly l1: MemoryStore | undefined,
    readonly l2: RedisStore | undefined,
    private readonly invalidations: InvalidationLog,
    private readonly onLocalInvalidation: (message: InvalidationMessage) => void,
    private readonly pending: PendingInvalidations,
    private readonly publisher: InvalidationPublisher,
    private readonly stats: CacheStats,
    private readonly logger: Logger,
  ) {}

  /** The invalidation log's position, to pass to {@link promote} after an L2 read. */
  get position(): number {
    return this.invalidations.position;
  }

  /** Reads L2 without throwing: `undefined` on a miss, an invalid entry, or Redis trouble. */
  readL2(key: string): Promise<EncodedEntry | undefined> {
    if (!this.l2) return Promise.resolve(undefined);
    const stop = this.stats.time('get', 'l2');
    return this.l2.read(key).then(
      (entry) => {
        stop();
        return entry === undefined || this.pending.blocks(key, entry.tags) ? undefined : entry;
      },
      (error: unknown) => {
        stop();
        this.recordFailure('get', error);
        return undefined;
      },
    );
  }

  /** Reads many keys from L2 without throwing. */
  async readManyL2(keys: readonly string[]): Promise<(EncodedEntry | undefined)[]> {
    if (!this.l2 || keys.length === 0) return keys.map(() => undefined);
    const entries = (await this.guard('l2', 'get', () => this.l2!.readMany(keys))) ?? keys.map(() => undefined);
    return entries.map((entry, index) => (entry && !this.pending.blocks(keys[index], entry.tags) ? entry : undefined));
  }

  /**
   * Copies an L2 entry into L1 and returns the value callers get. `position` is the invalidation log's
   * position before the L2 read: if the key or one of its tags was invalidated meanwhile, L1 is left alone.
   */
  promote<T>(key: string, entry: EncodedEntry, position: number, useL1 = true): T {
    const tagNames = entry.tags ? Object.keys(entry.tags) : [];
    if (!this.l1 || !useL1 || !this.invalidations.unchangedSince(position, key, tagNames)) return entryValue<T>(entry);
    const { bytes, ...timing } = entry;
    return this.l1.adopt<T>(key, { ...timing, value: entryValue<T>(entry), ...withTags(this.invalidations.tagVersions(tagNames)) }, bytes);
  }

  /** Reads the tag versions a value about to be produced will record. */
  async snapshotTags(tags: readonly string[]): Promise<TagSnapshot> {
    const position = this.invalidations.position;
    const l1 = this.invalidations.tagVersions(tags);
    if (!this.l2 || tags.length === 0) return { position, l1, l2: this.l2 ? {} : undefined };
    return { position, l1, l2: await this.guard('l2', 'get', () => this.l2!.readTagVersions(tags)) };
  }

  /**
   * Writes a value to both tiers. Serialization happens first, so a value that cannot be stored throws
   * a {@link CacheSerializationError} and nothing is written. With `lockToken`, L2 is written only while
   * the load lock is still ours. Returns the value callers get (L1's read-only copy when L1 is on).
   */
  async write<T>(key: string, value: T, plan: EntryPlan, tags: TagSnapshot, lockToken?: string): Promise<T> {
    const bytes = serialize(key, value);
    const timing = entryTiming(plan);
    if (this.l2 && tags.l2) {
      const entry: EncodedEntry = { ...timing, bytes, ...withTags(tags.l2) };
      const written = await this.guard('l2', 'set', () =>
        lockToken === undefined ? this.l2!.write([{ key, entry }]).then(() => true) : this.l2!.writeIfLocked(key, entry, lockToken),
      );
      if (written === false) return value;
      if (written) this.afterL2Write([key]);
    }
    if (!this.l1 || plan.l1 === false || !this.invalidations.unchangedSince(tags.position, key, plan.tags)) return value;
    const copy = this.l1.store<T>(key, { ...timing, value: undefined, ...withTags(tags.l1) }, bytes);
    this.supersedeReadsInFlight([key]);
    return copy;
  }

  /** Writes many values; all are serialized before anything is written. */
  async writeMany(items: readonly { key: string; value: unknown; plan: EntryPlan }[]): Promise<void> {
    const allTags = [...new Set(items.flatMap((item) => item.plan.tags))];
    const snapshot = await this.snapshotTags(allTags);
    const encoded = items.map(({ key, value, plan }) => ({
      key,
      bytes: serialize(key, value),
      timing: entryTiming(plan),
      tags: plan.tags,
    }));
    if (this.l2 && snapshot.l2) {
      const versions = snapshot.l2;
      const entries = encoded.map(({ key, bytes, timing, tags }) => ({
        key,
        entry: { ...timing, bytes, ...withTags(pick(versions, tags)) },
      }));
      const written = await this.guard('l2', 'set', () => this.l2!.write(entries).then(() => true));
      if (written) this.afterL2Write(encoded.map(({ key }) => key));
    }
    for (const { key, bytes, timing, tags } of encoded) {
      if (!this.invalidations.unchangedSince(snapshot.position, key, tags)) continue;
      this.l1?.store(key, { ...timing, value: undefined, ...withTags(pick(snapshot.l1, tags)) }, bytes);
    }
    this.supersedeReadsInFlight(encoded.map(({ key }) => key));
  }

  // NOTE: recorded right after the L1 write, in the same tick, so an older read still in flight
  // (an L2 promotion or a load) cannot put its value back over this one.
  private supersedeReadsInFlight(keys: readonly string[]): void {
    if (this.l1) this.invalidations.recordKeys(keys);
  }

  /**
   * Applies an invalidation: L1 and loads in flight at once; Redis and the
   * other instances when Redis answers, retried until then.
   */
  async invalidate(message: InvalidationMessage): Promise<void> {
    this.invalidateLocally(message);
    if (!this.l2) return;
    const operation: TimedOperation = message.clear ? 'clear' : message.tags ? 'invalidate' : 'delete';
    const applied = await this.guard('l2', operation, () => this.applyToRedis(message));
    if (applied === undefined) this.pending.add(message);
  }

  /** Drops local copies; also used for messages from other instances. */
  invalidateLocally(message: InvalidationMessage): void {
    if (message.clear) {
      this.invalidations.recordClear();
      this.l1?.clearNow();
      this.stats.invalidations.clear += 1;
    }
    if (message.keys?.length) {
      this.invalidations.recordKeys(message.keys);
      this.l1?.deleteNow(message.keys);
      this.stats.invalidations.delete += message.keys.length;
    }
    if (message.tags?.length) {
      this.invalidations.recordTags(message.tags);
      this.stats.invalidations.tag += message.tags.length;
    }
    this.onLocalInvalidation(message);
  }

  /** Redis side of an invalidation, then the message to other instances; throws on Redis trouble. */
  async applyToRedis(message: InvalidationMessage): Promise<true> {
    const l2 = this.l2!;
    if (message.clear) await l2.clear();
    if (message.keys?.length) await l2.delete(message.keys);
    if (message.tags?.length) await l2.invalidateTags(message.tags);
    this.publisher.publish(message);
    return true;
  }

  private afterL2Write(keys: readonly string[]): void {
    for (const key of keys) this.pending.supersede(key);
    this.publisher.publish({ keys });
  }

  /** Runs an L2 operation; on failure counts and logs it and resolves `undefined`. */
  async guard<T>(layer: 'l2', operation: TimedOperation, run: () => Promise<T>): Promise<T | undefined> {
    const stop = this.stats.time(operation, layer);
    try {
      return await run();
    } catch (error) {
      this.recordFailure(operation, error);
      return undefined;
    } finally {
      stop();
    }
  }

  private recordFailure(operation: TimedOperation, error: unknown): void {
    this.stats.recordError('l2', operation);
    this.logger.debug?.(`L2 ${operation} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function entryTiming(plan: EntryPlan): Omit<CacheEntry, 'value'> {
  const createdAt = Date.now();
  const freshUntil = createdAt + plan.ttl;
  return { createdAt, freshUntil, staleUntil: freshUntil + plan.grace, loadDuration: plan.loadDuration ?? 0 };
}

function withTags(tags: Record<string, number>): { tags?: Record<string, number> } {
  return Object.keys(tags).length === 0 ? {} : { tags };
}

function pick(versions: Record<string, number>, tags: readonly string[]): Record<string, number> {
  const picked: Record<string, number> = {};
  for (const tag of tags) picked[tag] = versions[tag] ?? 0;
  return picked;
}
