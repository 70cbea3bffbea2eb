import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from './redis-server.js';

/** A throwaway queue Redis as BullMQ wants it: `noeviction`, AOF on every write; a restart keeps the data. */
export interface QueueRedis extends RedisServerHandle {
  /** SIGSTOP: the server keeps its connections but answers nothing until {@link resume}. */
  pause(): void;
  resume(): void;
  /** Runs one command on a fresh connection (e.g. CONFIG SET maxmemory). */
  command(...args: (string | number)[]): Promise<unknown>;
}

export async function startQueueRedis(): Promise<QueueRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'tiered-cache-queue-'));
  const server = await startRedisServer({
    args: ['--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction', '--dir', dir],
  });
  const signal = (name: NodeJS.Signals): void => void (server.pid && process.kill(server.pid, name));
  return Object.assign(server, {
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    async command(...args: (string | number)[]): Promise<unknown> {
      const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
      try {
        return await client.call(String(args[0]), ...args.slice(1));
      } finally {
        client.disconnect();
      }
    },
  });
}
