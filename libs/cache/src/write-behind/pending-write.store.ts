import type { Cluster, Redis } from 'ioredis';
import { LuaScript } from '../stores/lua-script.js';
import { deserialize, serialize } from '../serialization/value.serializer.js';

/** The latest arguments of a key's write, with the writer that persists them and a version. */
export interface PendingWrite {
  writer: string;
  args: unknown[];
  version: string;
}

const DELETE_IF_VERSION = new LuaScript(`
if redis.call('HGET', KEYS[1], 'version') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/**
 * Pending writes in the queue's Redis, one hash per key (`{wb}:<ns>:pending:<key>`, in the queue's hash
 * slot): each call replaces the arguments and bumps the version; a persist deletes the record only if
 * no newer write arrived meanwhile, so an older write is never the last one applied.
 */
export class PendingWriteStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  /** Records the latest arguments of `key`'s write. */
  async record(key: string, writer: string, args: unknown[]): Promise<void> {
    const recordKey = this.keyOf(key);
    await this.redis.multi().hset(recordKey, { writer, args: serialize(recordKey, args) }).hincrby(recordKey, 'version', 1).exec();
  }

  /** The pending write of `key`, if any. */
  async read(key: string): Promise<PendingWrite | undefined> {
    const record = await this.redis.hgetallBuffer(this.keyOf(key));
    if (!record.args || !record.writer || !record.version) return undefined;
    return { writer: record.writer.toString(), args: deserialize<unknown[]>(record.args), version: record.version.toString() };
  }

  /** Forgets `key`'s write once persisted, unless a newer one arrived. */
  async settle(key: string, version: string): Promise<void> {
    await DELETE_IF_VERSION.run(this.redis, [this.keyOf(key)], [version]);
  }

  private keyOf(key: string): string {
    return `${this.prefix}:pending:${key}`;
  }
}
