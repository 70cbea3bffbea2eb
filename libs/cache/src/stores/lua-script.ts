import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/**
 * A Lua script run by EVALSHA once a client has sent it; before that (and after a NOSCRIPT) by EVAL,
 * which also loads it, so a first burst of calls does not pay a NOSCRIPT round trip each.
 */
export class LuaScript {
  private readonly sha: string;
  private readonly loadedOn = new WeakSet<Redis | Cluster>();

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script with `keys` (all in one hash slot) and `args`. */
  async run(redis: Redis | Cluster, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
    if (!this.loadedOn.has(redis)) return this.evaluate(redis, keys, args);
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.evaluate(redis, keys, args);
    }
  }

  private async evaluate(redis: Redis | Cluster, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
    const reply = await redis.eval(this.source, keys.length, ...keys, ...args);
    this.loadedOn.add(redis);
    return reply;
  }
}
