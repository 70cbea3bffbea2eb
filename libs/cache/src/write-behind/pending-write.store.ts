import type { Cluster, Redis } from 'ioredis';
import { LuaScript } from '../stores/lua-script.js';
import { deserialize, serialize } from '../serialization/value.serializer.js';

/** The latest arguments of a key's write, with the writer that persists them, its version and sequence. */
export interface PendingWrite {
  writer: string;
  args: unknown[];
  version: string;
  sequence: number;
}

/** What {@link PendingWriteStore.fence} did before a write runs synchronously. */
export type FenceResult = 'fenced' | 'handed' | 'newer';

/** What {@link PendingWriteStore.claim} found. */
export type ClaimResult = { state: 'claimed' | 'none' } | { state: 'busy'; retryIn: number };

/** What {@link PendingWriteStore.settle} did after a persist. */
export type SettleResult = 'settled' | 'changed' | 'lost';

// NOTE: a tombstone (only `seq`) outlives a persisted or fenced write for an hour, so a write with an
// older sequence still travelling in some client's offline queue is refused instead of applied last.
const TOMBSTONE_TTL = 3_600_000;

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const RECORD = new LuaScript(`
local current = tonumber(redis.call('HGET', KEYS[1], 'seq'))
if current and current > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'writer', ARGV[1], 'args', ARGV[2], 'seq', ARGV[3])
redis.call('PERSIST', KEYS[1])
return redis.call('HINCRBY', KEYS[1], 'version', 1)`);

// NOTE: a non-denyoom write comes first (HDEL, DEL) so the hand-off or tombstone is still written when the
// queue Redis is out of memory: Redis refuses a denyoom command (HSET) only as a script's first write.
const FENCE = new LuaScript(`
${NOW}
local current = tonumber(redis.call('HGET', KEYS[1], 'seq'))
if current and current > tonumber(ARGV[3]) then return 'newer' end
local lease = tonumber(redis.call('HGET', KEYS[1], 'lease'))
if lease and lease > now then
  redis.call('HDEL', KEYS[1], 'args')
  redis.call('HSET', KEYS[1], 'writer', ARGV[1], 'args', ARGV[2], 'seq', ARGV[3])
  redis.call('HINCRBY', KEYS[1], 'version', 1)
  return 'handed'
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'seq', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 'fenced'`);

const CLAIM = new LuaScript(`
${NOW}
if redis.call('HEXISTS', KEYS[1], 'args') == 0 then return 'none' end
local lease = tonumber(redis.call('HGET', KEYS[1], 'lease'))
if lease and lease > now and redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return lease - now end
redis.call('HSET', KEYS[1], 'lease', now + tonumber(ARGV[2]), 'owner', ARGV[1])
return 'claimed'`);

const RENEW = new LuaScript(`
${NOW}
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'lease', now + tonumber(ARGV[2]))
return 1`);

const SETTLE = new LuaScript(`
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 'lost' end
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[2] then
  redis.call('HDEL', KEYS[1], 'lease', 'owner')
  return 'changed'
end
local seq = redis.call('HGET', KEYS[1], 'seq')
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'seq', seq)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 'settled'`);

const RELEASE = new LuaScript(`
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
return redis.call('HDEL', KEYS[1], 'lease', 'owner')`);

/**
 * Pending writes in the queue's Redis, one hash per key (`{wb}:<ns>:pending:<key>`, in the queue's hash
 * slot). A write carries a sequence (see write-sequence.ts); a record never goes back to an older one.
 * A worker persists under a lease (renewed while it runs) and deletes the record only if no newer write
 * arrived; a synchronous fallback first fences the record, so a worker can never apply an older write
 * after it.
 */
export class PendingWriteStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  /** Records the latest arguments of `key`'s write; `false` when a newer write is already recorded. */
  async record(key: string, writer: string, args: unknown[], sequence: number): Promise<boolean> {
    const recordKey = this.keyOf(key);
    return Number(await RECORD.run(this.redis, [recordKey], [writer, serialize(recordKey, args), sequence])) > 0;
  }

  /**
   * Before `key`'s write of `sequence` runs synchronously: drops an older pending write (`fenced`), or hands
   * this write to the worker persisting the key right now (`handed`: it persists it next), or finds a newer
   * write queued (`newer`: nothing to do).
   */
  async fence(key: string, writer: string, args: unknown[], sequence: number): Promise<FenceResult> {
    const recordKey = this.keyOf(key);
    return (await FENCE.run(this.redis, [recordKey], [writer, serialize(recordKey, args), sequence, TOMBSTONE_TTL])) as FenceResult;
  }

  /** Takes `key`'s lease for `lease` ms as `owner`. */
  async claim(key: string, owner: string, lease: number): Promise<ClaimResult> {
    const result = await CLAIM.run(this.redis, [this.keyOf(key)], [owner, lease]);
    if (result === 'claimed' || result === 'none') return { state: result };
    return { state: 'busy', retryIn: Number(result) };
  }

  /** Extends a lease held by `owner`; `false` when it was lost. */
  async renew(key: string, owner: string, lease: number): Promise<boolean> {
    return Number(await RENEW.run(this.redis, [this.keyOf(key)], [owner, lease])) === 1;
  }

  /** The pending write of `key`, if any. */
  async read(key: string): Promise<PendingWrite | undefined> {
    const record = await this.redis.hgetallBuffer(this.keyOf(key));
    if (!record.args || !record.writer || !record.version || !record.seq) return undefined;
    return {
      writer: record.writer.toString(),
      args: deserialize<unknown[]>(record.args),
      version: record.version.toString(),
      sequence: Number(record.seq.toString()),
    };
  }

  /** After persisting `version`: forgets the write unless a newer one arrived (`changed`), and releases the lease. */
  async settle(key: string, owner: string, version: string): Promise<SettleResult> {
    return (await SETTLE.run(this.redis, [this.keyOf(key)], [owner, version, TOMBSTONE_TTL])) as SettleResult;
  }

  /** Gives the lease back after a failed persist. */
  async release(key: string, owner: string): Promise<void> {
    await RELEASE.run(this.redis, [this.keyOf(key)], [owner]);
  }

  private keyOf(key: string): string {
    return `${this.prefix}:pending:${key}`;
  }
}
