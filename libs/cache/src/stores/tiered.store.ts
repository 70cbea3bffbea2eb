import type { CacheEvents } from '../events/cache.events.js';
import type { InvalidationMessage, InvalidationPublisher } from '../invalidation/invalidation-message.js';
import type { PendingInvalidations } from '../invalidation/pending-invalidations.js';
import type { InvalidationLog } from '../invalidation/invalidation-log.js';
import { entryValue, type EncodedEntry } from '../serialization/envelope.codec.js';
import { serialize } from '../serialization/value.serializer.js';
import type { CacheStats, TimedOperation } from '../stats/cache-stats.js';
import { MAX_DURATION } from '../options/duration.parser.js';
import type { CacheEntry } from './cache-entry.interface.js';
import { mayHaveApplied } from './circuit-breaker.js';
import type { MemoryStore } from './memory.store.js';
import { RedisBudget } from './redis-budget.js';
import type { LockMode, LockReply, SharedTier } from './redis.store.js';
import type { CacheSerializationError } from '../cache.errors.js';

/** Timing and tags of a value about to be written. */
export interface EntryPlan {
  ttl: number;
  grace: number;
  tags: readonly string[];
  /** `false` keeps the entry out of L1. */
  l1?: boolean;
  /** Random spread of `ttl` (0.1 = up to ±10 %); default the module's `jitter`. */
  jitter?: number;
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

/** One result of a batch load, about to be written. */
export interface LoadedItem {
  key: string;
  value: unknown;
  plan: EntryPlan;
}

/** How a value reaches L2: a plain write (`set`), or a load that holds the key's lock with `token`. */
export type WriteMode = { kind: 'put' } | { kind: 'load'; token: string; publish: boolean };

const PUT: WriteMode = { kind: 'put' };
const NOTHING: Promise<undefined> = Promise.resolve(undefined);

/**
 * The two tiers as one cache: L1 first, then L2 (promoting to L1). Redis trouble is absorbed here:
 * reads degrade to a miss, writes to L1 only, invalidations are applied to L1 at once and retried
 * against Redis until it answers. Every change that may have reached Redis is published to other instances.
 */
export class TieredStore {
  private clearsInFlight = 0;

  constructor(
    readonly l1: MemoryStore | undefined,
    readonly l2: SharedTier | undefined,
    private readonly invalidations: InvalidationLog,
    private readonly onLocalInvalidation: (message: InvalidationMessage) => void,
    private readonly pending: PendingInvalidations,
    private readonly publisher: InvalidationPublisher,
    private readonly stats: CacheStats,
    private readonly commandTimeout: number,
    private readonly events: CacheEvents,
    /** The module's `jitter`, for plans that do not set their own. */
    private readonly jitter = 0,
  ) {}

  /** The invalidation log's position, to pass to {@link promote} after an L2 read. */
  get position(): number {
    return this.invalidations.position;
  }

  /** A fresh Redis budget for one call: all its steps together wait at most `commandTimeout`. */
  budget(): RedisBudget {
    return new RedisBudget(this.commandTimeout);
  }

  /**
   * Reads L2 without throwing: `undefined` on a miss, an invalid entry, or Redis trouble.
   * NOTE: {@link guard} inlined: the L2 hit path, where each async frame and closure shows up as GC time.
   */
  readL2(key: string, budget?: RedisBudget, expectedTags?: readonly string[]): Promise<EncodedEntry | undefined> {
    if (!this.l2 || this.clearsInFlight > 0) return NOTHING;
    const stop = this.stats.time('get', 'l2');
    const start = Date.now();
    return this.l2.read(key, budget ? budget.deadline(start) : start + this.commandTimeout, expectedTags).then(
      (entry) => {
        budget?.charge(start, Date.now());
        stop();
        return entry === undefined || this.pending.blocks(key, entry.tags) ? undefined : entry;
      },
      () => {
        budget?.charge(start, Date.now());
        stop();
        this.recordFailure('get');
        return undefined;
      },
    );
  }

  /** Reads many keys from L2 without throwing; `expectedTags` as in {@link readL2}. */
  async readManyL2(keys: readonly string[], budget?: RedisBudget, expectedTags?: readonly string[]): Promise<(EncodedEntry | undefined)[]> {
    if (!this.l2 || keys.length === 0 || this.clearsInFlight > 0) return keys.map(() => undefined);
    const entries = (await this.guard('get', (deadline) => this.l2!.readMany(keys, deadline, expectedTags), budget)) ?? keys.map(() => undefined);
    return entries.map((entry, index) => (entry && !this.pending.blocks(keys[index], entry.tags) ? entry : undefined));
  }

  /**
   * Takes the load locks of a batch ({@link SharedTier.takeLocks}) without throwing: `undefined` when
   * Redis did not answer. An entry returned instead of a lock is filtered as {@link readManyL2} does.
   */
  async takeLocks(keys: readonly string[], token: string, ttl: number, mode: LockMode, foundNone: readonly boolean[], budget: RedisBudget): Promise<LockReply[] | undefined> {
    const replies = await this.guard('get', (deadline) => this.l2!.takeLocks(keys, token, ttl, mode, foundNone, deadline), budget);
    return replies?.map((reply, index) => {
      if (typeof reply === 'boolean' || reply.entry === undefined) return reply;
      return this.clearsInFlight > 0 || this.pending.blocks(keys[index], reply.entry.tags) ? { entry: undefined } : reply;
    });
  }

  /**
   * Copies an L2 entry into L1 and returns the value callers get. `position` is the invalidation log's
   * position before the L2 read: if the key or one of its tags was invalidated meanwhile, L1 is left alone.
   */
  promote<T>(key: string, entry: EncodedEntry, position: number, useL1 = true): T {
    if (!this.l1 || !useL1) return entryValue<T>(entry);
    const tagNames = entry.tags ? Object.keys(entry.tags) : [];
    if (!this.invalidations.unchangedSince(position, key, tagNames)) return entryValue<T>(entry);
    const { bytes, ...timing } = entry;
    return this.l1.adopt<T>(key, { ...timing, value: entryValue<T>(entry), ...withTags(this.invalidations.tagVersions(tagNames)) }, bytes);
  }

  /**
   * Reads the tag versions a value about to be produced will record; missing versions are created in
   * Redis (kept alive at least `lifetime` ms), so an evicted tag never validates an older entry.
   */
  async snapshotTags(tags: readonly string[], lifetime: number, budget?: RedisBudget): Promise<TagSnapshot> {
    const position = this.invalidations.position;
    const l1 = this.invalidations.tagVersions(tags);
    if (!this.l2 || tags.length === 0) return { position, l1, l2: this.l2 ? {} : undefined };
    const l2 = await this.guard('get', (deadline) => this.l2!.snapshotTagVersions(tags, lifetime, deadline), budget);
    return { position, l1, l2 };
  }

  /**
   * Writes a value to both tiers and returns the value callers get (L1's read-only copy when L1 is on).
   * Serialization happens first, so a value that cannot be stored throws a {@link CacheSerializationError}
   * and nothing is written. A load (`mode.kind === 'load'`) writes L2 only while its lock holds and
   * nothing it depends on was invalidated here since `tags` was taken.
   * NOTE: L1 takes the value only if no later write of the key was sent meanwhile: commands on one
   * connection run in order, so the last write sent here is the one Redis keeps, and L1 agrees with it.
   */
  async write<T>(key: string, value: T, plan: EntryPlan, tags: TagSnapshot, mode: WriteMode = PUT, budget = this.budget()): Promise<T> {
    const bytes = serialize(key, value);
    if (mode.kind === 'load' && !this.invalidations.unchangedSince(tags.position, key, plan.tags)) {
      this.releaseLock(key, mode.token);
      return this.readOnlyCopy(value, bytes);
    }
    const timing = entryTiming(plan, this.jitter);
    this.invalidations.recordKeys([key]);
    const sent = this.invalidations.position;
    if (this.l2 && !tags.l2 && mode.kind === 'load') this.releaseLock(key, mode.token);
    if (this.l2 && tags.l2) {
      const entry: EncodedEntry = { ...timing, bytes, ...withTags(pick(tags.l2, plan.tags)) };
      const outcome = await this.writeL2(key, entry, mode, budget);
      if (outcome === 'refused') return this.readOnlyCopy(value, bytes);
      if (outcome === 'unknown') return this.forgetUnknownWrite(key, value, bytes);
      if (outcome === 'written' && (mode.kind === 'put' || mode.publish)) this.publisher.publish({ keys: [key] });
    }
    // NOTE: an entry kept out of L1 supersedes the copy L1 may hold, which must not be served any more.
    if (plan.l1 === false) this.l1?.deleteNow([key]);
    if (!this.l1 || plan.l1 === false || !this.invalidations.unchangedSince(sent, key, plan.tags)) return this.readOnlyCopy(value, bytes);
    return this.l1.store<T>(key, { ...timing, value: undefined, ...withTags(pick(tags.l1, plan.tags)) }, bytes);
  }

  /** Writes many values; all are serialized before anything is written. */
  async writeMany(items: readonly { key: string; value: unknown; plan: EntryPlan }[]): Promise<void> {
    const allTags = [...new Set(items.flatMap((item) => item.plan.tags))];
    const lifetime = Math.max(0, ...items.map(({ plan }) => plan.ttl + plan.grace));
    const budget = this.budget();
    const snapshot = await this.snapshotTags(allTags, lifetime, budget);
    const encoded = items.map(({ key, value, plan }) => ({ key, bytes: serialize(key, value), timing: entryTiming(plan, this.jitter), tags: plan.tags, l1: plan.l1 }));
    const keys = encoded.map(({ key }) => key);
    this.invalidations.recordKeys(keys);
    const sent = this.invalidations.position;
    if (this.l2 && snapshot.l2) {
      const versions = snapshot.l2;
      const entries = encoded.map(({ key, bytes, timing, tags }) => ({ key, entry: { ...timing, bytes, ...withTags(pick(versions, tags)) } }));
      const outcome = await this.attempt('set', (deadline) => this.l2!.write(entries, deadline), budget);
      if (outcome !== 'failed') this.publisher.publish({ keys });
    }
    for (const { key, bytes, timing, tags, l1 } of encoded) {
      if (l1 === false) this.l1?.deleteNow([key]);
      if (l1 === false || !this.invalidations.unchangedSince(sent, key, tags)) continue;
      this.l1?.store(key, { ...timing, value: undefined, ...withTags(pick(snapshot.l1, tags)) }, bytes);
    }
  }

  /**
   * {@link write} of a batch load's results, holding their keys' locks with one `token`: one script call
   * per slot. Each item is written like a single load (only while its lock holds and nothing it depends
   * on was invalidated since `tags` was taken); returns the values callers get, in order.
   */
  async writeLoadedMany(items: readonly LoadedItem[], tags: TagSnapshot, token: string, publish: boolean, budget: RedisBudget): Promise<unknown[]> {
    const encoded = items.map((item) => ({ ...item, bytes: serialize(item.key, item.value), timing: entryTiming(item.plan, this.jitter) }));
    const results = encoded.map(({ value, bytes }) => this.readOnlyCopy(value, bytes));
    const fresh = encoded.flatMap((item, index) => (this.invalidations.unchangedSince(tags.position, item.key, item.plan.tags) ? [{ ...item, index }] : []));
    const unwritten = new Set(encoded.map(({ key }) => key));
    this.invalidations.recordKeys(fresh.map(({ key }) => key));
    const sent = this.invalidations.position;
    let toL1 = fresh;
    if (this.l2 && tags.l2) {
      const versions = tags.l2;
      const entries = fresh.map(({ key, bytes, timing, plan }) => ({ key, entry: { ...timing, bytes, ...withTags(pick(versions, plan.tags)) } }));
      const outcome = await this.attempt('set', (deadline) => this.l2!.writeManyIfLocked(entries, token, deadline), budget);
      if (outcome === 'unknown') fresh.forEach(({ key, value, bytes }) => this.forgetUnknownWrite(key, value, bytes));
      // NOTE: as for a single load: a write Redis surely refused still leaves the value in L1; one it may have applied does not.
      if (typeof outcome !== 'string') toL1 = fresh.filter((_, position) => outcome[position]);
      else if (outcome === 'unknown') toL1 = [];
      if (typeof outcome !== 'string') toL1.forEach(({ key }) => unwritten.delete(key));
      if (publish && typeof outcome !== 'string' && toL1.length > 0) this.publisher.publish({ keys: toL1.map(({ key }) => key) });
    }
    if (this.l2 && unwritten.size > 0) this.l2.extendOrReleaseLocks([...unwritten], token, 'release').catch(() => undefined);
    for (const { key, bytes, timing, plan, index } of toL1) {
      if (!this.l1 || plan.l1 === false || !this.invalidations.unchangedSince(sent, key, plan.tags)) continue;
      results[index] = this.l1.store(key, { ...timing, value: undefined, ...withTags(pick(tags.l1, plan.tags)) }, bytes);
    }
    return results;
  }

  /**
   * Applies an invalidation: L1 and loads in flight at once; Redis and the
   * other instances when Redis answers, retried until then.
   */
  async invalidate(message: InvalidationMessage): Promise<void> {
    this.invalidateLocally(message);
    if (!this.l2) return;
    const operation: TimedOperation = message.clear ? 'clear' : message.tags ? 'invalidate' : 'delete';
    // NOTE: a clear takes many round trips (SCAN + UNLINK): until it is done, an entry it has not reached
    // yet must not be read back into L1. A delete or tag bump is one command, ordered before later reads.
    if (message.clear) this.clearsInFlight += 1;
    try {
      const applied = await this.guard(operation, () => this.applyToRedis(message));
      // NOTE: retried as a hard invalidation: coarser (no stale fallback), never lost.
      if (applied === undefined) this.pending.add({ ...message, soft: false });
    } finally {
      if (message.clear) this.clearsInFlight -= 1;
    }
  }

  /** Drops local copies (marks them stale when soft); also used for messages from other instances (`remote`). */
  invalidateLocally(message: InvalidationMessage, remote = false): void {
    if (message.clear) {
      this.invalidations.recordClear();
      this.l1?.clearNow();
      this.stats.invalidations.clear += 1;
    }
    if (message.keys?.length) {
      this.invalidations.recordKeys(message.keys);
      if (message.soft) this.l1?.softenNow(message.keys);
      else this.l1?.deleteNow(message.keys);
      this.stats.invalidations.delete += message.keys.length;
    }
    if (message.tags?.length) {
      this.invalidations.recordTags(message.tags, message.soft);
      this.stats.invalidations.tag += message.tags.length;
    }
    this.onLocalInvalidation(message);
    if (this.events.listening.invalidated) {
      const { keys = [], tags = [], clear = false, soft = false } = message;
      this.events.emit('invalidated', { keys, tags, clear, soft, remote });
    }
  }

  /** Redis side of an invalidation, then the message to other instances; throws on Redis trouble. */
  async applyToRedis(message: InvalidationMessage): Promise<true> {
    const l2 = this.l2!;
    if (message.clear) await l2.clear();
    if (message.keys?.length) await (message.soft ? l2.expire(message.keys) : l2.delete(message.keys));
    if (message.tags?.length) await l2.invalidateTags(message.tags, message.soft);
    this.publisher.publish(message);
    return true;
  }

  /**
   * Runs an L2 operation against the call's `budget`; on failure counts and logs it and resolves
   * `undefined`. Without a budget the operation gets its own `commandTimeout`.
   */
  async guard<T>(operation: TimedOperation, run: (deadline: number) => Promise<T>, budget?: RedisBudget): Promise<T | undefined> {
    const stop = this.stats.time(operation, 'l2');
    const start = Date.now();
    try {
      return await run(budget ? budget.deadline(start) : start + this.commandTimeout);
    } catch {
      this.recordFailure(operation);
      return undefined;
    } finally {
      budget?.charge(start, Date.now());
      stop();
    }
  }

  /** Like {@link guard} for writes: tells a failure that Redis may still apply from one it surely did not. */
  private async attempt<T>(operation: TimedOperation, run: (deadline: number) => Promise<T>, budget: RedisBudget): Promise<T | 'failed' | 'unknown'> {
    let failure: unknown;
    const result = await this.guard(
      operation,
      (deadline) =>
        run(deadline).catch((error: unknown) => {
          failure = error;
          throw error;
        }),
      budget,
    );
    if (failure === undefined) return result as T;
    return mayHaveApplied(failure) ? 'unknown' : 'failed';
  }

  private async writeL2(key: string, entry: EncodedEntry, mode: WriteMode, budget: RedisBudget): Promise<'written' | 'refused' | 'failed' | 'unknown'> {
    const l2 = this.l2!;
    if (mode.kind === 'put') {
      const outcome = await this.attempt('set', (deadline) => l2.write([{ key, entry }], deadline), budget);
      return typeof outcome === 'string' ? outcome : 'written';
    }
    const outcome = await this.attempt('set', (deadline) => l2.writeIfLocked(key, entry, mode.token, deadline), budget);
    if (typeof outcome === 'string') {
      this.releaseLock(key, mode.token);
      return outcome;
    }
    return outcome ? 'written' : 'refused';
  }

  /** Releases a load lock that may still be held; never throws (a lost release only delays other loaders). */
  releaseLock(key: string, token: string): void {
    this.l2?.releaseLock(key, token).catch(() => undefined);
  }

  /**
   * A write Redis may or may not have applied (its reply never came): every instance, this one included,
   * drops its copy and reads Redis again, so they all agree on whatever Redis holds.
   */
  private forgetUnknownWrite<T>(key: string, value: T, bytes: Uint8Array): T {
    this.l1?.deleteNow([key]);
    this.publisher.publish({ keys: [key] });
    return this.readOnlyCopy(value, bytes);
  }

  /** The value a caller gets when L1 does not keep it: still a read-only copy, as on every other path. */
  private readOnlyCopy<T>(value: T, bytes: Uint8Array): T {
    return this.l1 ? this.l1.copyOf<T>(bytes) : value;
  }

  // NOTE: counted, not logged: the circuit breaker logs once when Redis stops answering and once when it is back.
  private recordFailure(operation: TimedOperation): void {
    this.stats.recordError('l2', operation);
  }
}

function entryTiming(plan: EntryPlan, defaultJitter: number): Omit<CacheEntry, 'value'> {
  const createdAt = Date.now();
  const freshUntil = createdAt + jittered(plan.ttl, plan.jitter ?? defaultJitter);
  return { createdAt, freshUntil, staleUntil: freshUntil + plan.grace, loadDuration: plan.loadDuration ?? 0 };
}

/** `ttl` moved by a random fraction of itself within ±`jitter`, in whole milliseconds. */
function jittered(ttl: number, jitter: number): number {
  if (jitter === 0) return ttl;
  return Math.min(MAX_DURATION, Math.round(ttl * (1 + (Math.random() * 2 - 1) * jitter)));
}

function withTags(tags: Record<string, number>): { tags?: Record<string, number> } {
  return Object.keys(tags).length === 0 ? {} : { tags };
}

function pick(versions: Record<string, number>, tags: readonly string[]): Record<string, number> {
  const picked: Record<string, number> = {};
  for (const tag of tags) picked[tag] = versions[tag] ?? 0;
  return picked;
}
