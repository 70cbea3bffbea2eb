import { Redis } from 'ioredis';
import { RedisKeyLayout } from '../../../libs/cache/src/stores/redis-key.layout.js';

/**
 * A plain client to look at or tamper with Redis behind the cache's back. No retries, no offline
 * queue: a fault scenario must not have its own probes land late.
 */
export function rawClient(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
  client.on('error', () => undefined);
  return client;
}

/** Every key matching `pattern` (SCAN, never KEYS). */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

/** Where the cache keeps `key` of `namespace` in Redis (README: `<ns>:v2:{<key>}`). */
export const entryKey = (namespace: string, key: string): string => new RedisKeyLayout(namespace).entry(key);

/** Load locks of `namespace` (README: `<ns>:lock:{<key>}`). */
export const lockKeys = (redis: Redis, namespace: string): Promise<string[]> => scanKeys(redis, `${namespace}:lock:*`);

/** Tag version key of `tag` (README: `<ns>:tag:<tag>`). */
export const tagKey = (namespace: string, tag: string): string => `${namespace}:tag:${tag}`;

/** The invalidation bus channel of `namespace` (README guarantee 10). */
export const busChannel = (namespace: string): string => `tiered-cache:${namespace}:invalidations`;
