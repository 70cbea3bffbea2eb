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
  run(redis: Redis | Cluster, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
    return this.execute(redis, keys, args, false);
  }

  /** Like {@link run}, with bulk replies as Buffers (binary values intact). */
  runBuffer(redis: Redis | Cluster, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
    return this.execute(redis, keys, args, true);
  }

  private async execute(redis: Redis | Cluster, keys: readonly string[], args: readonly (string | number | Buffer)[], buffers: boolean): Promise<unknown> {
    if (!this.loadedOn.has(redis)) return this.evaluate(redis, keys, args, buffers);
    try {
      return await send(redis, 'evalsha', this.sha, keys, args, buffers);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.evaluate(redis, keys, args, buffers);
    }
  }

  private async evaluate(redis: Redis | Cluster, keys: readonly string[], args: readonly (string | number | Buffer)[], buffers: boolean): Promise<unknown> {
    const reply = await send(redis, 'eval', this.source, keys, args, buffers);
    this.loadedOn.add(redis);
    return reply;
  }
}

// NOTE: ioredis defines a `...Buffer` variant of every command at runtime (replies as Buffers) but its
// typings leave out those of EVAL and EVALSHA. `call`/`callBuffer` would do, but not with auto-pipelining.
interface BufferScripting {
  evalBuffer(...args: (string | number | Buffer)[]): Promise<unknown>;
  evalshaBuffer(...args: (string | number | Buffer)[]): Promise<unknown>;
}

function send(redis: Redis | Cluster, command: 'evalsha' | 'eval', script: string, keys: readonly string[], args: readonly (string | number | Buffer)[], buffers: boolean): Promise<unknown> {
  if (!buffers) return command === 'evalsha' ? redis.evalsha(script, keys.length, ...keys, ...args) : redis.eval(script, keys.length, ...keys, ...args);
  const scripting = redis as unknown as BufferScripting;
  return command === 'evalsha' ? scripting.evalshaBuffer(script, keys.length, ...keys, ...args) : scripting.evalBuffer(script, keys.length, ...keys, ...args);
}
