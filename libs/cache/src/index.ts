export { CacheModule } from './cache.module.js';
export { CacheService, type GetOptions, type GetOrSetOptions, type SetManyItem, type SetOptions } from './cache.service.js';
export type { InvalidateOptions } from './invalidation/invalidate-options.js';
export { CACHE_OPTIONS, L1_STORE, L2_STORE } from './cache.constants.js';
export { getCacheHealthToken, getCacheOptionsToken, getCacheToken, getWriteBehindQueueToken } from './cache.tokens.js';
export { DEFAULT_CACHE_NAME } from './options/cache-name.js';
export { InjectCache } from './decorators/inject-cache.decorator.js';
export {
  CacheDecoratorError,
  CacheLoadTimeoutError,
  CacheSerializationError,
  ChangeFeedSetupError,
  InvalidCacheOptionError,
  MissingPeerDependencyError,
  OperationTimeoutError,
  RedisUnavailableError,
} from './cache.errors.js';
export { CacheEvict } from './decorators/cache-evict.decorator.js';
export { CachePut } from './decorators/cache-put.decorator.js';
export { Cacheable } from './decorators/cacheable.decorator.js';
export { CacheableBatch } from './decorators/cacheable-batch.decorator.js';
export type { BatchId, BatchKeyTemplate, BatchRest, CacheableBatchOptions } from './decorators/cacheable-batch.types.js';
export { RefreshAhead } from './refresh/refresh-ahead.decorator.js';
export type { RefreshAt } from './refresh/refresh-policy.js';
export type {
  AsyncMethod,
  AsyncMethodDecorator,
  CacheEvictOptions,
  CachePutOptions,
  CacheableOptions,
  KeyTemplate,
  RefreshAheadOptions,
} from './decorators/cache-decorator.types.js';
export type {
  BusOptions,
  CacheModuleAsyncOptions,
  CacheOptionsFactory,
  ChangeFeedOptions,
  CacheModuleOptions,
  L1Options,
  L2Options,
  RedisConnectionOption,
  WriteBehindOptions,
} from './options/cache-options.interface.js';
export type { ResolvedCacheOptions } from './options/resolved-options.interface.js';
export { CacheHealthIndicator, type CacheHealthOptions, type CacheHealthResult } from './health/cache-health.indicator.js';
export { CacheMetricsModule, type CacheMetricsOptions, type CacheMetricsRegistry } from './metrics/cache-metrics.module.js';
export { CacheWarmer, type CacheWarmerOptions } from './warmers/cache-warmer.decorator.js';
export type { Warmer } from './warmers/warmer.interface.js';
export { WriteBehind, type WriteBehindDecoratorOptions } from './write-behind/write-behind.decorator.js';
export { WriteBehindQueue, type WriteBehindStats } from './write-behind/write-behind.queue.js';
export { writeBehindSequence } from './write-behind/write-sequence.js';
export type { Duration } from './options/duration.parser.js';
export type { LoaderContext } from './read-through/loader-context.js';
export type { BatchLoader, BatchResult, GetManyOrSetOptions } from './read-through/batch-plan.js';
export { CacheStats } from './stats/cache-stats.js';
export { CacheEvents } from './events/cache.events.js';
export type { CacheEventListener, CacheEventMap, CacheEventName, InvalidatedEvent } from './events/cache-event.types.js';
export type { CacheEntry, CacheLayer, CacheStore } from './stores/cache-entry.interface.js';
export { HttpCacheInterceptor, HttpCacheInterceptor as CacheInterceptor } from './http/http-cache.interceptor.js';
export {
  CacheKey,
  CacheNotFound,
  CacheTTL,
  CacheTags,
  CacheVary,
  NoCache,
  type HttpCacheKeyFactory,
  type HttpCacheTtlFactory,
} from './http/http-cache.decorators.js';
export { CACHE_MANAGER } from './compat/cache-manager.token.js';
export type { CacheManagerCompatible, CacheManagerCompatible as Cache, CacheManagerWrapOptions } from './compat/cache-manager.adapter.js';
export { OnTableChange } from './change-feed/on-table-change.decorator.js';
export type { ChangeInvalidation, ChangedRow, TableChange, TableChangeHandler } from './change-feed/table-change.interface.js';
export type { ChangeFeedStats } from './change-feed/change-feed.stats.js';
