import { randomInt } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import { decodeEnvelope, encodeEnvelope, entryValue, type EncodedEntry } from '../serialization/envelope.codec.js';
import { serialize } from '../serialization/value.serializer.js';
import type { CacheStats } from '../stats/cache-stats.js';
import type { CacheEntry, CacheStore } from './cache-entry.interface.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { runBatch, type KeyedCommand } from './redis-batch.js';
import { INVALIDATE_TAG, RELEASE_LOCK, SET_IF_LOCKED } from './redis-scripts.js';
import type { RedisKeyLayout } from './redis-key.layout.js';

const SCAN_BATCH = 500;
const RANDOM_VERSION_FLOOR = 1_000_000;

/**
 * L2: entries in Redis as envelopes, tag versions as counters, load locks with tokens. Every method
 * goes through the circuit breaker and throws on Redis trouble; the tiered layer decides how to degrade.
 */
export class RedisStore implements CacheStore {
  readonly layer = 'l2' as const;

  constructor(
    readonly redis: Redis | Cluster,
    private readonly layout: RedisKeyLayout,
    private readonly breaker: CircuitBreaker,
    private readonly newTagTtl: number,
    private readonly stats: CacheStats,
  ) {}

  /** Stops background timers (module shutdown); the connection is closed by its owner. */
  stop(): void {
    this.breaker.stop();
  }

  /** Whether the circuit breaker currently skips Redis. */
  get isUnavailable(): boolean {
    return this.breaker.isOpen;
  }

  /** The entry with its value still encoded, if present and valid for its tags. */
  read(key: string): Promise<EncodedEntry | undefined> {
    return this.breaker
      .run(() => this.redis.getBuffer(this.layout.entry(key)))
      .then((raw) => (raw === null ? undefined : this.validate(this.decode(key, raw))));
  }

  /** Like {@link read} for many keys, one round trip per slot. */
  async readMany(keys: readonly string[]): Promise<(EncodedEntry | undefined)[]> {
    const commands = keys.map((key): KeyedCommand => ['getBuffer', this.layout.entry(key)]);
    const raws = await this.breaker.run(() => runBatch(this.redis, commands), commands.length);
    const entries = raws.map((raw, index) => (Buffer.isBuffer(raw) ? this.decode(keys[index], raw) : undefined));
    return this.validateMany(entries);
  }

  /**
   * Writes encoded entries and extends their tags' lifetimes, one round trip per slot. Each write also
   * removes the key's load lock, so a load in flight anywhere cannot overwrite it with an older value.
   */
  async write(items: readonly { key: string; entry: EncodedEntry }[]): Promise<void> {
    const commands: KeyedCommand[] = [];
    for (const { key, entry } of items) {
      const ttl = physicalTtl(entry);
      commands.push(
        ['set', this.layout.entry(key), encodeEnvelope(entry), 'PX', ttl],
        ['del', this.layout.lock(key)],
        ...this.tagLifetimeCommands(entry, ttl),
      );
    }
    await this.breaker.run(() => runBatch(this.redis, commands), commands.length);
  }

  /**
   * Writes a loaded entry only while `token` still holds the key's load lock, then releases it.
   * A `delete` during the load removed the lock, so the stale result is dropped: returns `false`.
   */
  async writeIfLocked(key: string, entry: EncodedEntry, token: string): Promise<boolean> {
    const ttl = physicalTtl(entry);
    return this.breaker.run(async () => {
      await runBatch(this.redis, this.tagLifetimeCommands(entry, ttl));
      const keys = [this.layout.entry(key), this.layout.lock(key)];
      return (await SET_IF_LOCKED.run(this.redis, keys, [token, encodeEnvelope(entry), ttl])) === 1;
    });
  }

  /** Current versions of `tags` (0 for a tag never invalidated). */
  async readTagVersions(tags: readonly string[]): Promise<Record<string, number>> {
    const versions: Record<string, number> = {};
    if (tags.length === 0) return versions;
    const commands = tags.map((tag): KeyedCommand => ['get', this.layout.tag(tag)]);
    const values = await this.breaker.run(() => runBatch(this.redis, commands));
    tags.forEach((tag, index) => (versions[tag] = Number(values[index] ?? 0)));
    return versions;
  }

  /** Bumps each tag's version: one command per tag, whatever the number of tagged entries. */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    await this.breaker.run(() =>
      Promise.all(
        tags.map((tag) =>
          INVALIDATE_TAG.run(this.redis, [this.layout.tag(tag)], [randomInt(RANDOM_VERSION_FLOOR, 2 ** 47), this.newTagTtl]),
        ),
      ),
    );
  }

  /** Takes the load lock of `key` for `ttl` ms with `token`; `false` if another holder has it. */
  async tryLock(key: string, token: string, ttl: number): Promise<boolean> {
    const reply = await this.breaker.run(() => this.redis.set(this.layout.lock(key), token, 'PX', ttl, 'NX'));
    return reply === 'OK';
  }

  /** Releases the lock only if it still holds `token`. */
  async releaseLock(key: string, token: string): Promise<void> {
    await this.breaker.run(() => RELEASE_LOCK.run(this.redis, [this.layout.lock(key)], [token]));
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
  async delete(keys: readonly string[]): Promise<void> {
    const commands = keys.map((key): KeyedCommand => ['del', this.layout.entry(key), this.layout.lock(key)]);
    await this.breaker.run(() => runBatch(this.redis, commands), commands.length);
  }

  /** SCANs this namespace in batches and UNLINKs what it finds, on every master of a Cluster. */
  async clear(): Promise<void> {
    const nodes = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    await Promise.all(nodes.map((node) => this.clearNode(node)));
  }

  // NOTE: each SCAN step and UNLINK batch has its own deadline: clearing a big namespace is slow, not dead.
  private async clearNode(node: Redis): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.breaker.run(() => node.scan(cursor, 'MATCH', this.layout.namespacePattern, 'COUNT', SCAN_BATCH));
      cursor = next;
      const unlinks = keys.map((key): KeyedCommand => ['unlink', key]);
      if (unlinks.length > 0) await this.breaker.run(() => runBatch(node, unlinks), unlinks.length);
    } while (cursor !== '0');
  }

  /** Keeps each tag's version key alive at least as long as the entry that recorded it. */
  private tagLifetimeCommands(entry: EncodedEntry, ttl: number): KeyedCommand[] {
    return Object.keys(entry.tags ?? {}).flatMap((tag): KeyedCommand[] => {
      const tagKey = this.layout.tag(tag);
      return [
        ['set', tagKey, 0, 'PX', ttl, 'NX'],
        ['pexpire', tagKey, ttl, 'GT'],
      ];
    });
  }

  // NOTE: an entry that does not decode can only be foreign or damaged (the format version is part of the
  // key), so it is counted and deleted rather than read again and again until it expires. A valid entry
  // written between the read and the delete is lost too: that costs one miss, never a wrong value.
  private decode(key: string, raw: Buffer): EncodedEntry | undefined {
    const entry = decodeEnvelope(raw);
    if (entry !== undefined) return entry;
    this.stats.recordError('l2', 'decode');
    this.breaker.run(() => this.redis.del(this.layout.entry(key))).catch(() => undefined);
    return undefined;
  }

  private validate(entry: EncodedEntry | undefined): EncodedEntry | undefined | Promise<EncodedEntry | undefined> {
    const recorded = entry?.tags;
    if (recorded === undefined) return entry;
    return this.readTagVersions(Object.keys(recorded)).then((versions) => (matchesVersions(recorded, versions) ? entry : undefined));
  }

  private async validateMany(entries: (EncodedEntry | undefined)[]): Promise<(EncodedEntry | undefined)[]> {
    const tags = new Set<string>();
    for (const entry of entries) for (const tag of Object.keys(entry?.tags ?? {})) tags.add(tag);
    if (tags.size === 0) return entries;
    const versions = await this.readTagVersions([...tags]);
    return entries.map((entry) => (entry?.tags && !matchesVersions(entry.tags, versions) ? undefined : entry));
  }
}

function physicalTtl(entry: EncodedEntry): number {
  return Math.max(1, entry.staleUntil - Date.now());
}

function matchesVersions(recorded: Readonly<Record<string, number>>, current: Record<string, number>): boolean {
  for (const tag in recorded) if (current[tag] !== recorded[tag]) return false;
  return true;
}

function decodeValue<T>(entry: EncodedEntry): CacheEntry<T> {
  const { bytes, ...timing } = entry;
  return { ...timing, value: entryValue<T>(entry) };
}

function encodeValue(key: string, entry: CacheEntry): EncodedEntry {
  const { value, ...timing } = entry;
  return { ...timing, bytes: serialize(key, value) };
}
