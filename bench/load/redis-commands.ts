import type { Redis } from 'ioredis';

/** Commands Redis has executed so far (`INFO commandstats`), without the `INFO` calls of the bench itself. */
export async function redisCommandCount(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (match[1] !== 'info') total += Number(match[2]);
  }
  return total;
}
