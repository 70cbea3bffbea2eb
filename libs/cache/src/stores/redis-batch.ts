import { Cluster, type Redis } from 'ioredis';
import { groupBySlot } from '../keys/hash-slot.js';

/** A Redis command whose first argument is its only key. */
export type KeyedCommand = readonly [command: string, key: string, ...args: (string | number | Buffer)[]];

/**
 * Sends single-key commands in one round trip: one pipeline on a standalone Redis, one pipeline per
 * hash slot on a Cluster (a Cluster pipeline must stay within one slot). Results keep the input order;
 * the first error reply is thrown, or with `errorsInPlace` returned in its command's place (so one
 * foreign key does not fail a whole batch read).
 */
export async function runBatch(redis: Redis | Cluster, commands: readonly KeyedCommand[], errorsInPlace = false): Promise<unknown[]> {
  if (commands.length === 0) return [];
  if (!(redis instanceof Cluster)) return execPipeline(redis, commands, errorsInPlace);
  const results = new Array<unknown>(commands.length);
  const groups = groupBySlot(commands, (command) => command[1]);
  await Promise.all(
    [...groups.values()].map(async ({ indexes, items }) => {
      const slotResults = await execPipeline(redis, items, errorsInPlace);
      indexes.forEach((index, position) => (results[index] = slotResults[position]));
    }),
  );
  return results;
}

async function execPipeline(redis: Redis | Cluster, commands: readonly KeyedCommand[], errorsInPlace: boolean): Promise<unknown[]> {
  const pipeline = redis.pipeline(commands.map(([command, ...args]) => [command, ...args]));
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, result]) => {
    if (!error) return result;
    if (errorsInPlace) return error;
    throw error;
  });
}
