import { randomInt } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import { decodeEnvelope, encodeEnvelope, entryValue, type EncodedEntry } from '../serialization/envelope.codec.js';
import { serialize } from '../serialization/value.serializer.js';
import type { CacheStats } from '../stats/cache-stats.js';
import type { CacheEntry, CacheStore } from './cache-entry.interface.js';
import { type CircuitBreaker } from './circuit-breaker.js';
import { runBatch, runPerSlot, type KeyedCommand } from './redis-batch.js';
import {
  EXPIRE_ENTRY,
  EXTEND_LOCK,
  EXTEND_OR_RELEASE_LOCKS,
  INVALIDATE_TAG,
  READ_TAG_VERSION,
  RELEASE_LOCK,
  SOFT_INVALIDATE_TAG,
  SOFT_VERSION_STEP,
  TAKE_LOCK,
  TAKE_LOCKS,
  WRITE_ENTRY,
  WRITE_IF_LOCKED,
  WRITE_MANY_IF_LOCKED,
} from './redis-scripts.js';
import type { RedisKeyLayout } from './redis-key.layout.js';
import { RedisUnavailableError } from '../cache.errors.js';
import { RAW_REPLY, RedisReadBatcher, type ReplyReader } from './redis-read.batcher.js';

const SCAN_BATCH = 500;
const RANDOM_VERSION_FLOOR = 1_000_000;
const NO_VERSIONS: Readonly<Record<string, number>> = Object.freeze({});
const NO_TAGS: readonly string[] = Object.freeze([]);
/** A fenced script's reply when it arrived after the caller's deadline. */
const FENCED = -1;

/** What the tiered layer needs from L2 (the seam a test double stands in for). */
export type SharedTier = Pick<
  RedisStore,
  | 'read'
  | 'readMany'
  | 'write'
  | 'writeIfLocked'
  | 'writeManyIfLocked'
  | 'snapshotTagVersions'
  | 'invalidateTags'
  | 'takeLock'
  | 'takeLocks'
  | 'extendLock'
  | 'releaseLock'
  | 'extendOrReleaseLocks'
  | 'delete'
  | 'expire'
  | 'clear'
  | 'stop'
>;

/** Per key of {@link RedisStore.takeLocks}: taken, held by another, or the entry written since the caller's read. */
export type LockReply = boolean | { entry: EncodedEntry | undefined };

/** How a load takes its key's lock: only if free, or replacing another holder (whose write is then refused). */
export type LockMode = 'nx' | 'take';

/**
 * L2: entries in Redis as envelopes, tag versions as counters, load locks with tokens. Every method
 * goes through the circuit breaker and throws on Redis trouble; the tiered layer decides how to degrade.
 * Methods take the caller's deadline (epoch ms); writes and locks are fenced by it on Redis's clock.
 */
export class RedisStore implements CacheStore {
  readonly layer = 'l2' as const;
  /** Redis's clock minus ours, in ms, measured when the connection becomes ready. */
  private clockOffset = 0;
  private readonly onReady = (): void => void this.syncClock();
  /** GETs until a deadline: batched into MGETs per tick, except on a Cluster (an MGET cannot span slots). */
  private readonly fetch: <R>(key: string, deadline: number, reader: ReplyReader<R>) => Promise<R>;
  /** An entry's reply decoded and validated against its recorded tags. */
  private readonly entryReply: ReplyReader<EncodedEntry | undefined> = (raw, entryKey, deadline) =>
    raw === null ? undefined : this.validate(this.decode(entryKey, raw), deadline, NO_VERSIONS);

  constructor(
    readonly redis: Redis | Cluster,
    private readonly layout: RedisKeyLayout,
    private readonly breaker: CircuitBreaker,
    private readonly newTagTtl: number,
    private readonly stats: CacheStats,
  ) {
    if (redis instanceof Cluster) {
      this.fetch = (key, deadline, reader) => breaker.run(() => redis.getBuffer(key), deadline).then((raw) => reader(raw, key, deadline));
    } else {
      const batcher = new RedisReadBatcher(redis, breaker);
      this.fetch = (key, deadline, reader) => batcher.get(key, deadline, reader);
    }
    redis.on('ready', this.onReady);
    if (redis.status === 'ready') void this.syncClock();
    stats.l2BreakerOpen = () => breaker.isTripped;
  }

  /** Stops background timers and listeners (module shutdown); the connection is closed by its owner. */
  stop(): void {
    this.breaker.stop();
    this.redis.off('ready', this.onReady);
  }

  /** Whether the circuit breaker currently skips Redis. */
  get isUnavailable(): boolean {
    return this.breaker.isOpen;
  }

  /**
   * The entry with its value decoded, if present and valid for its tags. The versions of
   * `expectedTags` (the tags the caller's entries carry) are read in the same round trip.
   */
  read(key: string, deadline = this.breaker.deadline(), expectedTags: readonly string[] = NO_TAGS): Promise<EncodedEntry | undefined> {
    const entryKey = this.layout.entry(key);
    if (expectedTags.length === 0) return this.fetch(entryKey, deadline, this.entryReply);
    return Promise.all([this.fetch(entryKey, deadline, RAW_REPLY), this.readTagVersions(expectedTags, deadline)]).then(([raw, versions]) =>
      raw === null ? undefined : this.validate(this.decode(entryKey, raw), deadline, versions),
    );
  }

  /**
   * Like {@link read} for many keys, one round trip per slot; the versions of `expectedTags` are read in
   * the same round trip.
   */
  async readMany(keys: readonly string[], deadline = this.breaker.deadline(), expectedTags: readonly string[] = []): Promise<(EncodedEntry | undefined)[]> {
    const commands = keys.map((key): KeyedCommand => ['getBuffer', this.layout.entry(key)]);
    for (const tag of expectedTags) commands.push(['get', this.layout.tag(tag)]);
    const replies = await this.breaker.run(() => runBatch(this.redis, commands, true), this.breaker.forBatch(deadline, commands.length));
    const known: Record<string, number> = {};
    expectedTags.forEach((tag, index) => (known[tag] = versionOf(replies[keys.length + index])));
    const entries = keys.map((key, index) => {
      const raw = replies[index];
      return Buffer.isBuffer(raw) || raw instanceof Error ? this.decode(this.layout.entry(key), raw) : undefined;
    });
    return this.validateMany(entries, deadline, known);
  }

  /**
   * Writes encoded entries and extends their tags' lifetimes, in one round trip. Each write also removes
   * the key's load lock, so a load in flight anywhere cannot overwrite it with an older value.
   */
  async write(items: readonly { key: string; entry: EncodedEntry }[], deadline = this.breaker.deadline()): Promise<void> {
    const fence = this.fence(this.breaker.forBatch(deadline, items.length));
    const replies = await this.breaker.run(() => {
      void this.extendTags(items.map(({ entry }) => entry));
      const keys = (key: string): string[] => [this.layout.entry(key), this.layout.lock(key)];
      return Promise.all(items.map(({ key, entry }) => WRITE_ENTRY.run(this.redis, keys(key), [fence, encodeEnvelope(entry), physicalTtl(entry)])));
    }, this.breaker.forBatch(deadline, items.length));
    if (replies.includes(FENCED)) throw new RedisUnavailableError('the write reached Redis after its deadline', false);
  }

  /**
   * Writes a loaded entry only while `token` still holds the key's load lock, then releases it.
   * A `delete` or a newer write during the load removed the lock, so the stale result is dropped: returns `false`.
   */
  async writeIfLocked(key: string, entry: EncodedEntry, token: string, deadline = this.breaker.deadline()): Promise<boolean> {
    const ttl = physicalTtl(entry);
    const keys = [this.layout.entry(key), this.layout.lock(key)];
    const reply = await this.breaker.run(() => {
      void this.extendTags([entry]);
      return WRITE_IF_LOCKED.run(this.redis, keys, [this.fence(deadline), token, encodeEnvelope(entry), ttl]);
    }, deadline);
    if (reply === FENCED) throw new RedisUnavailableError('the write reached Redis after its deadline', false);
    return reply === 1;
  }

  /**
   * {@link writeIfLocked} for many entries sharing one `token`: one script call per slot. Returns per
   * entry whether it was written (`false`: its lock was lost to a delete or a newer write).
   */
  async writeManyIfLocked(items: readonly { key: string; entry: EncodedEntry }[], token: string, deadline = this.breaker.deadline()): Promise<boolean[]> {
    const batchDeadline = this.breaker.forBatch(deadline, items.length);
    const fence = this.fence(batchDeadline);
    const replies = await this.breaker.run(() => {
      void this.extendTags(items.map(({ entry }) => entry));
      return runPerSlot(this.redis, items, ({ key }) => this.layout.entry(key), async (group) => {
        const keys = group.flatMap(({ key }) => [this.layout.entry(key), this.layout.lock(key)]);
        const args = group.flatMap(({ entry }) => [encodeEnvelope(entry), physicalTtl(entry)]);
        return perKeyReplies(await WRITE_MANY_IF_LOCKED.run(this.redis, keys, [fence, token, ...args]), 'the write');
      });
    }, batchDeadline);
    return replies.map((reply) => reply === 1);
  }

  /**
   * {@link takeLock} for many keys with one `token`: one script call per slot. In mode `nx`, a key the
   * caller found no entry for (`foundNone`) is not locked when an entry was written since: that entry
   * (validated, `undefined` if invalid) comes back instead, so a load that just finished is not run again.
   */
  async takeLocks(keys: readonly string[], token: string, ttl: number, mode: LockMode, foundNone: readonly boolean[], deadline = this.breaker.deadline()): Promise<LockReply[]> {
    const batchDeadline = this.breaker.forBatch(deadline, keys.length);
    const fence = this.fence(batchDeadline);
    const indexes = keys.map((_, index) => index);
    const replies = await this.breaker.run(
      () =>
        runPerSlot(this.redis, indexes, (index) => this.layout.lock(keys[index]), async (group) => {
          const scriptKeys = group.flatMap((index) => [this.layout.entry(keys[index]), this.layout.lock(keys[index])]);
          const flags = group.map((index) => (foundNone[index] ? '1' : '0'));
          return perKeyReplies(await TAKE_LOCKS.runBuffer(this.redis, scriptKeys, [fence, token, ttl, mode, ...flags]), 'the lock request');
        }),
      batchDeadline,
    );
    const written = replies.map((reply, index) => (Buffer.isBuffer(reply) ? this.decode(this.layout.entry(keys[index]), reply) : undefined));
    const valid = written.some((entry) => entry !== undefined) ? await this.validateMany(written, deadline, NO_VERSIONS) : written;
    return replies.map((reply, index) => (Buffer.isBuffer(reply) ? { entry: valid[index] } : reply === 1));
  }

  /**
   * Extends (`ttl` in ms) or releases (`'release'`) the load locks of `keys` that `token` still holds, one
   * script call per slot. NOTE: a release is sent past the circuit breaker, as in {@link releaseLock}.
   */
  async extendOrReleaseLocks(keys: readonly string[], token: string, ttl: number | 'release'): Promise<void> {
    const send = (): Promise<unknown> =>
      runPerSlot(this.redis, keys, (key) => this.layout.lock(key), async (group) => {
        await EXTEND_OR_RELEASE_LOCKS.run(this.redis, group.map((key) => this.layout.lock(key)), [token, ttl]);
        return group;
      });
    await (ttl === 'release' ? send() : this.breaker.run(send));
  }

  /** Current versions of `tags`; `NaN` for a missing version key (no entry can match it). */
  async readTagVersions(tags: readonly string[], deadline = this.breaker.deadline()): Promise<Record<string, number>> {
    const values = await Promise.all(tags.map((tag) => this.fetch(this.layout.tag(tag), deadline, RAW_REPLY)));
    const versions: Record<string, number> = {};
    tags.forEach((tag, index) => (versions[tag] = versionOf(values[index])));
    return versions;
  }

  /**
   * The versions a value about to be produced records: missing version keys are created at a random
   * start, so an evicted tag can never validate an entry written under an older version. Keeps each
   * version key alive at least `ttl` ms.
   */
  async snapshotTagVersions(tags: readonly string[], ttl: number, deadline = this.breaker.deadline()): Promise<Record<string, number>> {
    const versions: Record<string, number> = {};
    if (tags.length === 0) return versions;
    const replies = await this.breaker.run(
      () => Promise.all(tags.map((tag) => READ_TAG_VERSION.run(this.redis, [this.layout.tag(tag)], [randomVersion(), Math.max(1, Math.ceil(ttl))]))),
      deadline,
    );
    tags.forEach((tag, index) => (versions[tag] = Number(replies[index])));
    return versions;
  }

  /**
   * Bumps each tag's version: one command per tag, whatever the number of tagged entries. A `soft` bump
   * leaves the tagged entries readable as stale values (never fresh).
   */
  async invalidateTags(tags: readonly string[], soft = false, deadline = this.breaker.deadline()): Promise<void> {
    const script = soft ? SOFT_INVALIDATE_TAG : INVALIDATE_TAG;
    await this.breaker.run(
      () => Promise.all(tags.map((tag) => script.run(this.redis, [this.layout.tag(tag)], [randomVersion(), this.newTagTtl]))),
      this.breaker.forBatch(deadline, tags.length),
    );
  }

  /** Takes the load lock of `key` for `ttl` ms with `token`; `false` if another holder has it. */
  async takeLock(key: string, token: string, ttl: number, mode: LockMode, deadline = this.breaker.deadline()): Promise<boolean> {
    const reply = await this.breaker.run(
      () => TAKE_LOCK.run(this.redis, [this.layout.lock(key)], [this.fence(deadline), token, ttl, mode]),
      deadline,
    );
    if (reply === FENCED) throw new RedisUnavailableError('the lock request reached Redis after its deadline', false);
    return reply === 1;
  }

  /** Extends the load lock while `token` holds it; `false` once it is lost. */
  async extendLock(key: string, token: string, ttl: number): Promise<boolean> {
    return (await this.breaker.run(() => EXTEND_LOCK.run(this.redis, [this.layout.lock(key)], [token, ttl]))) === 1;
  }

  /**
   * Releases the lock if it still holds `token`. NOTE: sent past the circuit breaker: on a stalled
   * connection it queues behind the lock request it undoes, so a lock taken late is released, not orphaned.
   */
  async releaseLock(key: string, token: string): Promise<void> {
    await RELEASE_LOCK.run(this.redis, [this.layout.lock(key)], [token]);
  }

  async get<T>(key: string): Promise<CacheEntry<T> | undefined> {
    const entry = await this.read(key);
    return entry && decodeValue<T>(entry);
  }

  async getMany<T>(keys: readonly string[]): Promise<(CacheEntry<T> | undefined)[]> {
    const entries = await this.readMany(keys);
    return entries.map((entry) => entry && decodeValue<T>(entry));
  }

  async set(key: string, entry: CacheEntry): Promise<void> {
    await this.write([{ key, entry: encodeValue(key, entry) }]);
  }

  async setMany(items: readonly { key: string; entry: CacheEntry }[]): Promise<void> {
    await this.write(items.map(({ key, entry }) => ({ key, entry: encodeValue(key, entry) })));
  }

  /** Deletes entries together with their load locks, so a load in flight cannot write its stale result. */
  async delete(keys: readonly string[], deadline = this.breaker.deadline()): Promise<void> {
    const commands = keys.map((key): KeyedCommand => ['del', this.layout.entry(key), this.layout.lock(key)]);
    await this.breaker.run(() => runBatch(this.redis, commands), this.breaker.forBatch(deadline, keys.length));
  }

  /**
   * Soft delete: the entries stop being fresh now but stay readable as stale values until they expire;
   * their load locks are removed, so a load in flight cannot write a fresh result over them.
   */
  async expire(keys: readonly string[], deadline = this.breaker.deadline()): Promise<void> {
    const now = Date.now();
    await this.breaker.run(
      () => Promise.all(keys.map((key) => EXPIRE_ENTRY.run(this.redis, [this.layout.entry(key), this.layout.lock(key)], [now]))),
      this.breaker.forBatch(deadline, keys.length),
    );
  }

  /**
   * SCANs this namespace in batches and UNLINKs what it finds, on every master of a Cluster, twice.
   * NOTE: the first pass removes every load lock, so a load that began before the clear cannot write
   * afterwards; one that wrote before its lock was reached is removed by the second pass.
   */
  async clear(): Promise<void> {
    const nodes = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    for (let pass = 0; pass < 2; pass += 1) await Promise.all(nodes.map((node) => this.clearNode(node)));
  }

  // NOTE: each SCAN step and UNLINK batch has its own deadline: clearing a big namespace is slow, not dead.
  private async clearNode(node: Redis): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.breaker.run(() => node.scan(cursor, 'MATCH', this.layout.namespacePattern, 'COUNT', SCAN_BATCH));
      cursor = next;
      const unlinks = keys.map((key): KeyedCommand => ['unlink', key]);
      if (unlinks.length > 0) await this.breaker.run(() => runBatch(node, unlinks), this.breaker.forBatch(this.breaker.deadline(), unlinks.length));
    } while (cursor !== '0');
  }

  /** Keeps each tag's version key alive at least as long as the entries that recorded it (best effort). */
  private extendTags(entries: readonly EncodedEntry[]): Promise<unknown> {
    const lifetimes = new Map<string, number>();
    for (const entry of entries) {
      const ttl = physicalTtl(entry);
      for (const tag in entry.tags) lifetimes.set(tag, Math.max(ttl, lifetimes.get(tag) ?? 0));
    }
    const commands = [...lifetimes].map(([tag, ttl]): KeyedCommand => ['pexpire', this.layout.tag(tag), ttl, 'GT']);
    return runBatch(this.redis, commands).catch(() => undefined);
  }

  /** Our deadline on Redis's clock. */
  private fence(deadline: number): number {
    return Math.floor(deadline + this.clockOffset);
  }

  private async syncClock(): Promise<void> {
    try {
      const sent = Date.now();
      const [seconds, microseconds] = await this.redis.time();
      const received = Date.now();
      this.clockOffset = Number(seconds) * 1_000 + Math.floor(Number(microseconds) / 1_000) - (sent + received) / 2;
    } catch {
      // NOTE: without a measurement both clocks are taken to agree (Redis usually runs on a synchronized host).
    }
  }

  // NOTE: an entry that does not decode can only be foreign or damaged (the format version is part of the
  // key), so it is counted and deleted rather than read again and again until it expires. A valid entry
  // written between the read and the delete is lost too: that costs one miss, never a wrong value.
  private decode(entryKey: string, raw: Buffer | Error): EncodedEntry | undefined {
    const entry = raw instanceof Error ? undefined : decodeEnvelope(raw);
    if (entry !== undefined) return entry;
    this.stats.recordError('l2', 'decode');
    this.breaker.run(() => this.redis.del(entryKey)).catch(() => undefined);
    return undefined;
  }

  private validate(entry: EncodedEntry | undefined, deadline: number, known: Readonly<Record<string, number>>): EncodedEntry | undefined | Promise<EncodedEntry | undefined> {
    const recorded = entry?.tags;
    if (recorded === undefined) return entry;
    const unknown = Object.keys(recorded).filter((tag) => !(tag in known));
    if (unknown.length === 0) return checkVersions(entry!, known);
    return this.readTagVersions(unknown, deadline).then((versions) => checkVersions(entry!, { ...known, ...versions }));
  }

  private async validateMany(entries: (EncodedEntry | undefined)[], deadline: number, known: Readonly<Record<string, number>>): Promise<(EncodedEntry | undefined)[]> {
    const unknown = new Set<string>();
    for (const entry of entries) for (const tag of Object.keys(entry?.tags ?? {})) if (!(tag in known)) unknown.add(tag);
    const versions = unknown.size === 0 ? known : { ...known, ...(await this.readTagVersions([...unknown], deadline)) };
    return entries.map((entry) => (entry?.tags ? checkVersions(entry, versions) : entry));
  }
}

function randomVersion(): number {
  return randomInt(RANDOM_VERSION_FLOOR, 2 ** 47);
}

/** A tag version as read by GET (a string, or a Buffer from a batched read): `NaN` when missing or unreadable, so no entry can match it. */
function versionOf(reply: unknown): number {
  if (typeof reply === 'string') return Number(reply);
  return Buffer.isBuffer(reply) ? Number(reply.toString('latin1')) : Number.NaN;
}

/** A multi-key fenced script's reply: one number per key, or the fence's refusal. */
function perKeyReplies(reply: unknown, what: string): unknown[] {
  if (reply === FENCED) throw new RedisUnavailableError(`${what} reached Redis after its deadline`, false);
  return reply as unknown[];
}

function physicalTtl(entry: EncodedEntry): number {
  return Math.max(1, Math.ceil(entry.staleUntil - Date.now()));
}

/**
 * The entry as its tags' `current` versions leave it: unchanged, stale (only soft invalidations since it
 * was written: its freshness ends now), or `undefined` (invalidated).
 */
function checkVersions<E extends EncodedEntry>(entry: E, current: Readonly<Record<string, number>>): E | undefined {
  let soft = false;
  for (const tag in entry.tags) {
    const recorded = entry.tags[tag];
    const now = current[tag];
    if (now === recorded) continue;
    if (!(now > recorded) || (now - recorded) % SOFT_VERSION_STEP !== 0) return undefined;
    soft = true;
  }
  if (!soft) return entry;
  const end = Math.min(entry.freshUntil, Date.now());
  return { ...entry, createdAt: Math.min(entry.createdAt, end), freshUntil: end };
}

function decodeValue<T>(entry: EncodedEntry): CacheEntry<T> {
  const { bytes, ...timing } = entry;
  return { ...timing, value: entryValue<T>(entry) };
}

function encodeValue(key: string, entry: CacheEntry): EncodedEntry {
  const { value, ...timing } = entry;
  return { ...timing, bytes: serialize(key, value) };
}
