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

/**
 * Runs `run` once per hash slot of the items' keys (once on a standalone Redis), concurrently: a
 * multi-key script must stay within one slot. `run` answers one result per item it got; the results
 * come back in the input order.
 */
export async function runPerSlot<T, R>(redis: Redis | Cluster, items: readonly T[], keyOf: (item: T) => string, run: (group: readonly T[]) => Promise<readonly R[]>): Promise<R[]> {
  if (items.length === 0) return [];
  if (!(redis instanceof Cluster)) return [...(await run(items))];
  const results = new Array<R>(items.length);
  await Promise.all(
    [...groupBySlot(items, keyOf).values()].map(async ({ indexes, items: group }) => {
      const groupResults = await run(group);
      indexes.forEach((index, position) => (results[index] = groupResults[position]));
    }),
  );
  return results;
}
