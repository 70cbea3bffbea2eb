import type { Cluster, Redis } from 'ioredis';
import type { RedisKeyLayout } from '../stores/redis-key.layout.js';
import { LuaScript } from '../stores/lua-script.js';
import { RELEASE_LOCK } from '../stores/redis-scripts.js';
import { withTimeout } from '../timing/with-timeout.js';

/**
 * Extends a lock held with the caller's token, or takes it back if it is gone (a `clear()` deletes
 * `ns:*`, warmer keys included); never takes another holder's. One key.
 */
const RENEW_LOCK = new LuaScript(`
local holder = redis.call('GET', KEYS[1])
if holder ~= false and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`);

/**
 * The Redis keys that coordinate warmers across instances, under `ns:warm:` (never a user key's lock):
 * `ns:warm:<name>:tick:<scheduled ms>` claims one cron tick (SET NX), `ns:warm:<name>:running` is held
 * (and renewed) while a cycle runs. Without Redis, or when it fails, every claim succeeds: warming
 * locally is better than not warming.
 */
export class WarmLock {
  constructor(
    private readonly redis: Redis | Cluster | undefined,
    private readonly layout: RedisKeyLayout,
    private readonly commandTimeout: number,
  ) {}

  /** Whether this instance is the first to claim the tick scheduled at `scheduledAt` (epoch ms). */
  claimTick(warmer: string, scheduledAt: number, ttl: number): Promise<boolean> {
    return this.setIfAbsent(this.layout.warm(warmer, `tick:${scheduledAt}`), '1', ttl);
  }

  /** Takes the warmer's running lock for `ttl` ms; `false` while another instance holds it. */
  acquire(warmer: string, token: string, ttl: number): Promise<boolean> {
    return this.setIfAbsent(this.runningKey(warmer), token, ttl);
  }

  /** Extends the running lock if `token` holds it, or takes it back if it is gone. */
  async renew(warmer: string, token: string, ttl: number): Promise<void> {
    await this.command((redis) => RENEW_LOCK.run(redis, [this.runningKey(warmer)], [token, ttl])).catch(() => undefined);
  }

  /** Releases the running lock if `token` still holds it. */
  async release(warmer: string, token: string): Promise<void> {
    await this.command((redis) => RELEASE_LOCK.run(redis, [this.runningKey(warmer)], [token])).catch(() => undefined);
  }

  private runningKey(warmer: string): string {
    return this.layout.warm(warmer, 'running');
  }

  private async setIfAbsent(key: string, value: string, ttl: number): Promise<boolean> {
    if (this.redis === undefined) return true;
    try {
      return (await this.command((redis) => redis.set(key, value, 'PX', ttl, 'NX'))) === 'OK';
    } catch {
      return true;
    }
  }

  private async command<T>(run: (redis: Redis | Cluster) => Promise<T>): Promise<T | undefined> {
    if (this.redis === undefined) return undefined;
    return withTimeout(run(this.redis), this.commandTimeout, 'warmer lock command timed out');
  }
}
