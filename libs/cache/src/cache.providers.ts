import { Logger, type InjectionToken, type Provider } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { CACHE_NAME, CACHE_OPTIONS, CACHE_SERVICE, L1_STORE, L2_STORE, RAW_CACHE_OPTIONS } from './cache.constants.js';
import { assertDistinctCaches, assertNameGivenUpFront } from './cache-module.guard.js';
import { getCacheHealthToken, getCacheOptionsToken, getCacheToken, getWriteBehindQueueToken } from './cache.tokens.js';
import { CACHE_MANAGER } from './compat/cache-manager.token.js';
import { DEFAULT_CACHE_NAME, decoratedCacheToken } from './options/cache-name.js';
import { CacheLifecycle } from './cache.lifecycle.js';
import { CacheService } from './cache.service.js';
import { createCacheEngine } from './engine/cache-engine.factory.js';
import { CacheEngine } from './engine/cache.engine.js';
import { ChangeFeedRunner } from './change-feed/change-feed.runner.js';
import { CACHE_MANAGER_PROVIDER } from './compat/cache-manager.provider.js';
import { CacheDecoratorsExplorer } from './decorators/cache-decorators.explorer.js';
import { CacheHealthIndicator } from './health/cache-health.indicator.js';
import { CacheWarmersRunner } from './warmers/cache-warmers.runner.js';
import { WriteBehindQueue } from './write-behind/write-behind.queue.js';
import { INVALIDATION_BUS, LocalOnlyBus, type InvalidationBus } from './invalidation/invalidation-bus.js';
import { InvalidationLog } from './invalidation/invalidation-log.js';
import { PendingInvalidations } from './invalidation/pending-invalidations.js';
import { RedisInvalidationBus } from './invalidation/redis-invalidation.bus.js';
import type { CacheModuleOptions } from './options/cache-options.interface.js';
import { loadOptionalPeer } from './peers/optional-peer.loader.js';
import { resolveCacheOptions } from './options/cache-options.validator.js';
import type { ResolvedCacheOptions } from './options/resolved-options.interface.js';
import { CacheEvents } from './events/cache.events.js';
import { CacheStats } from './stats/cache-stats.js';
import { CacheConnections } from './stores/cache-connections.js';
import { CircuitBreaker } from './stores/circuit-breaker.js';
import { MemoryStore } from './stores/memory.store.js';
import { RedisKeyLayout } from './stores/redis-key.layout.js';
import { RedisStore } from './stores/redis.store.js';

/** Everything one `CacheModule` named `name` registers; the raw options come from `forRoot` or `forRootAsync`. */
export function cacheProviders(name: string): Provider[] {
  return [{ provide: CACHE_NAME, useValue: name }, ...CACHE_PROVIDERS, ...aliases(name)];
}

/** What a `CacheModule` named `name` exports: the class tokens for the default cache, per-name tokens otherwise. */
export function cacheExports(name: string): InjectionToken[] {
  const named = [getCacheToken(name), getCacheOptionsToken(name), getCacheHealthToken(name), getWriteBehindQueueToken(name), decoratedCacheToken(name)];
  return name === DEFAULT_CACHE_NAME ? [...new Set([...DEFAULT_EXPORTS, ...named])] : named;
}

// NOTE: what serves one cache per application (write-behind queue, stores, stats, CACHE_MANAGER, and the HTTP
// interceptor injecting `CacheService`) is the default cache's; a named cache is reached through its own tokens.
const DEFAULT_EXPORTS: InjectionToken[] = [CacheService, CacheStats, CacheEvents, CacheHealthIndicator, WriteBehindQueue, CACHE_OPTIONS, L1_STORE, L2_STORE, CACHE_MANAGER];

// NOTE: inside its module every part injects CACHE_SERVICE; the `CacheService` class token exists only in the
// default cache's module, so `app.get(CacheService)` never finds a named cache.
function aliases(name: string): Provider[] {
  const providers: Provider[] = [
    { provide: getCacheToken(name), useExisting: CACHE_SERVICE },
    { provide: decoratedCacheToken(name), useExisting: CacheEngine },
    { provide: getCacheHealthToken(name), useClass: CacheHealthIndicator },
  ];
  if (name !== DEFAULT_CACHE_NAME) {
    providers.push({ provide: getCacheOptionsToken(name), useExisting: CACHE_OPTIONS }, { provide: getWriteBehindQueueToken(name), useExisting: WriteBehindQueue });
  }
  return providers;
}

const CACHE_PROVIDERS: Provider[] = [
  {
    provide: CACHE_OPTIONS,
    useFactory: async (options: CacheModuleOptions, name: string, modules: ModulesContainer) => {
      const resolved = resolveCacheOptions(options);
      assertNameGivenUpFront(options, name);
      assertDistinctCaches(modules, options, name);
      if (resolved.writeBehind) await loadOptionalPeer('bullmq', 'writeBehind');
      return resolved;
    },
    inject: [RAW_CACHE_OPTIONS, CACHE_NAME, ModulesContainer],
  },
  CacheStats,
  CacheEvents,
  InvalidationLog,
  CacheConnections,
  {
    provide: L1_STORE,
    useFactory: (options: ResolvedCacheOptions, invalidations: InvalidationLog, stats: CacheStats) =>
      options.l1 ? new MemoryStore(options.l1, invalidations, stats) : null,
    inject: [CACHE_OPTIONS, InvalidationLog, CacheStats],
  },
  {
    provide: L2_STORE,
    useFactory: (options: ResolvedCacheOptions, connections: CacheConnections, stats: CacheStats, events: CacheEvents) => {
      if (!options.l2 || !connections.l2) return null;
      const { commandTimeout, breakerThreshold, breakerCooldown } = options.l2;
      const breaker = new CircuitBreaker(breakerThreshold, breakerCooldown, commandTimeout, reportBreakerState(new Logger('TieredCache'), events));
      connections.onL2Ready(() => breaker.reset());
      return new RedisStore(connections.l2, new RedisKeyLayout(options.namespace), breaker, options.defaultTtl + options.grace, stats);
    },
    inject: [CACHE_OPTIONS, CacheConnections, CacheStats, CacheEvents],
  },
  {
    provide: INVALIDATION_BUS,
    useFactory: (
      options: ResolvedCacheOptions,
      connections: CacheConnections,
      l1: MemoryStore | null,
      stats: CacheStats,
      events: CacheEvents,
    ): InvalidationBus => {
      if (!options.bus || !connections.l2 || !connections.subscriber) {
        return new LocalOnlyBus(randomBytes(9).toString('base64url'));
      }
      const settings = {
        namespace: options.namespace,
        publisher: connections.l2,
        subscriber: connections.subscriber,
        maxStaleness: options.bus.maxStaleness,
      };
      return new RedisInvalidationBus(settings, l1 ?? undefined, stats, new Logger('TieredCache'), events);
    },
    inject: [CACHE_OPTIONS, CacheConnections, L1_STORE, CacheStats, CacheEvents],
  },
  {
    provide: PendingInvalidations,
    useFactory: (connections: CacheConnections) => {
      const pending = new PendingInvalidations(new Logger('TieredCache'));
      // NOTE: deferred so the circuit breaker (also listening) is closed before the retry runs.
      connections.onL2Ready(() => setImmediate(() => pending.retryNow()));
      return pending;
    },
    inject: [CacheConnections],
  },
  {
    provide: CacheEngine,
    useFactory: createCacheEngine,
    inject: [CACHE_OPTIONS, L1_STORE, L2_STORE, INVALIDATION_BUS, InvalidationLog, PendingInvalidations, CacheStats, CacheEvents],
  },
  { provide: CACHE_SERVICE, useClass: CacheService },
  CACHE_MANAGER_PROVIDER,
  CacheLifecycle,
  CacheDecoratorsExplorer,
  CacheWarmersRunner,
  WriteBehindQueue,
  ChangeFeedRunner,
];

// NOTE: one line when Redis stops answering and one when it is back, never a line per failed call.
function reportBreakerState(logger: Logger, events: CacheEvents): (state: 'open' | 'closed', skippedCalls: number) => void {
  return (state, skippedCalls) => {
    if (state === 'open') {
      logger.warn('Redis is not answering: L2 calls are skipped (serving L1 and loaders) until it does');
      if (events.listening['breaker-open']) events.emit('breaker-open', { layer: 'l2' });
      return;
    }
    logger.log(`Redis answers again; ${skippedCalls} L2 calls were skipped meanwhile`);
    if (events.listening['breaker-closed']) events.emit('breaker-closed', { layer: 'l2', skippedCalls });
  };
}
