import type { ChangeFeedOptions, RedisConnectionOption } from './cache-options.interface.js';

/** Options after validation: durations in milliseconds, defaults applied. */
export interface ResolvedCacheOptions {
  namespace: string;
  defaultTtl: number;
  grace: number;
  jitter: number;
  failureThrottle: number;
  l1: { max: number; maxBytes: number | undefined; ttl: number } | false;
  l2:
    | {
        redis: RedisConnectionOption;
        commandTimeout: number;
        breakerThreshold: number;
        breakerCooldown: number;
        lockWait: number;
      }
    | false;
  bus: { redis: RedisConnectionOption | undefined; maxStaleness: number } | false;
  writeBehind:
    | {
        redis: RedisConnectionOption;
        delay: number;
        attempts: number;
        concurrency: number;
        flushOnShutdown: boolean;
        enqueueTimeout: number;
      }
    | undefined;
  changeFeed:
    | { postgres: ChangeFeedOptions['postgres']; slot: string; publication: string; retryInterval: number; statusInterval: number; lagInterval: number; maxLagBytes: number | undefined }
    | undefined;
}
