import { Inject, Injectable } from '@nestjs/common';
import { CACHE_SERVICE, L2_STORE } from '../cache.constants.js';
import type { CacheService } from '../cache.service.js';
import type { RedisStore } from '../stores/redis.store.js';
import { withTimeout } from '../timing/with-timeout.js';
import { errorMessage } from '../cache.errors.js';

/** Options of {@link CacheHealthIndicator.isHealthy}. */
export interface CacheHealthOptions {
  /** Longest wait for Redis to answer PING, in milliseconds. Default 1000. */
  timeout?: number;
  /**
   * What an unreachable Redis makes the cache: `'degraded'` (default: the app still serves from L1 and
   * loaders, so an orchestrator should not restart it) or `'down'`.
   */
  whenRedisDown?: 'degraded' | 'down';
}

/**
 * What {@link CacheHealthIndicator.isHealthy} returns: Terminus's `HealthIndicatorResult` shape
 * (`{ [key]: { status, ...details } }`), accepted by `HealthCheckService.check`.
 */
export type CacheHealthResult<Key extends string> = Record<Key, { status: 'up' | 'degraded' | 'down' } & Record<string, unknown>>;

const DEFAULT_TIMEOUT = 1_000;

// NOTE: built without @nestjs/terminus (the same plain object its HealthIndicatorService composes), so
// an application without health checks does not need Terminus installed.
function result<Key extends string>(key: Key, status: 'up' | 'degraded' | 'down', details: Record<string, unknown>): CacheHealthResult<Key> {
  return { [key]: { ...details, status } } as CacheHealthResult<Key>;
}

/**
 * The cache's Terminus health indicator, provided by `CacheModule`:
 * `health.check([() => cacheHealth.isHealthy('cache')])`. Up when Redis answers PING (or L2 is off),
 * with its latency and whether invalidations are waiting for Redis (and, with `changeFeed`, this
 * instance's role and the slot's lag in bytes).
 */
@Injectable()
export class CacheHealthIndicator {
  constructor(
    @Inject(CACHE_SERVICE) private readonly cache: CacheService,
    @Inject(L2_STORE) private readonly l2: RedisStore | null,
  ) {}

  async isHealthy<const Key extends string>(key: Key, options: CacheHealthOptions = {}): Promise<CacheHealthResult<Key>> {
    const namespace = this.cache.namespace;
    if (!this.l2) return result(key, 'up', { namespace, l2: 'disabled' });
    const started = Date.now();
    try {
      const timeout = options.timeout ?? DEFAULT_TIMEOUT;
      await withTimeout(this.l2.redis.ping(), timeout, `Redis did not answer PING within ${timeout}ms`);
    } catch (error) {
      const details = { namespace, l2: 'unreachable', message: errorMessage(error) };
      return result(key, options.whenRedisDown === 'down' ? 'down' : 'degraded', details);
    }
    return result(key, 'up', {
      namespace,
      l2: 'up',
      latencyMs: Date.now() - started,
      pendingInvalidations: this.cache.hasPendingInvalidations,
      ...changeFeedDetails(this.cache),
    });
  }
}

function changeFeedDetails(cache: CacheService): { changeFeed?: { role: string; lagBytes: number | undefined } } {
  const feed = cache.stats.changeFeed;
  return feed ? { changeFeed: { role: feed.role, lagBytes: feed.lagBytes } } : {};
}
