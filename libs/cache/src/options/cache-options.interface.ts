import type { FactoryProvider, ModuleMetadata, Provider, Type } from '@nestjs/common';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type { Duration } from './duration.parser.js';

/** How to reach Redis: a URL, ioredis options, or a connection the application owns (never closed by the module). */
export type RedisConnectionOption = string | RedisOptions | Redis | Cluster;

/** The in-process tier (`lru-cache`). */
export interface L1Options {
  /** Most entries kept. Default 10,000. */
  max?: number;
  /** Most bytes kept (approximate encoded size). Default: unbounded by size. */
  maxBytes?: number;
  /** Longest time an entry stays in L1, whatever its ttl. Default `'30s'`. */
  ttl?: Duration;
}

/** The shared tier (Redis). */
export interface L2Options {
  /** Connection. */
  redis: RedisConnectionOption;
  /** Longest wait for one Redis command before falling back to L1 and the loader. Default `'500ms'`. */
  commandTimeout?: Duration;
  /** Consecutive failures that open the circuit breaker. Default 5. */
  breakerThreshold?: number;
  /** How long the open circuit skips Redis before probing again. Default `'2s'`. */
  breakerCooldown?: Duration;
  /** How long a cold read waits for another instance's load before loading itself. Default `'5s'`. */
  lockWait?: Duration;
}

/** The invalidation bus that keeps every instance's L1 coherent. */
export interface BusOptions {
  /** Dedicated connection for pub/sub; default: a duplicate of the L2 connection. */
  redis?: RedisConnectionOption;
  /** Longest time an L1 entry is served while the bus is disconnected. Default `'1s'`. */
  maxStaleness?: Duration;
}

/** Write-behind queue (BullMQ). */
export interface WriteBehindOptions {
  /** The queue's Redis; wants `maxmemory-policy noeviction` (a cache Redis usually has `allkeys-lru`). */
  redis: RedisConnectionOption;
  /** Default delay before a write is persisted. Default `'1s'`. */
  delay?: Duration;
  /** Default total tries per persist. Default 8. */
  attempts?: number;
  /** Persists running in parallel (never two of one key). Default 4. */
  concurrency?: number;
  /** Persist pending writes during a graceful shutdown instead of leaving them for the next instance. */
  flushOnShutdown?: boolean;
  /**
   * Longest wait for the queue's Redis to take a write before the method runs at once instead. After a
   * failure, calls run at once without waiting until the queue answers again. Default `'1s'`.
   */
  enqueueTimeout?: Duration;
}

/**
 * PostgreSQL change feed: committed row changes (logical replication, `pgoutput`) reach the
 * `@OnTableChange` handlers, whose keys and tags are invalidated. Needs `wal_level = logical`.
 */
export interface ChangeFeedOptions {
  /** A `postgres://` URL, or `pg` client settings; the role needs REPLICATION (see the README). */
  postgres: string | { readonly [setting: string]: unknown };
  /** Replication slot (created if missing); `[a-z0-9_]`, at most 63 characters. One per application. */
  slot: string;
  /** Publication (created if missing, the handlers' tables added to it). */
  publication: string;
  /** How often a standby instance tries to take the slot, and the wait before reconnecting. Default `'2s'`. */
  retryInterval?: Duration;
  /** How often the position is confirmed to PostgreSQL when idle. Default `'10s'`. */
  statusInterval?: Duration;
  /** How often the slot's lag is measured. Default `'15s'`. */
  lagInterval?: Duration;
  /**
   * WAL bytes the slot may hold back; past it the slot is dropped and recreated and the namespace
   * cleared (the skipped changes are unknown). Default: no bound (see `max_slot_wal_keep_size`).
   */
  maxLagBytes?: number;
}

/** Options of {@link CacheModule.forRoot}. */
export interface CacheModuleOptions {
  /**
   * The cache's name, for several caches in one application: inject it with `@InjectCache(name)`, route
   * decorators to it with `cache: name`. Default `'default'` (injected as `CacheService`).
   */
  name?: string;
  /** Prefix of every key this app writes; matches `[A-Za-z0-9_.-]+`. */
  namespace: string;
  /** Default freshness of an entry. Default `'5m'`. */
  defaultTtl?: Duration;
  /** Default stale window after ttl, for fail-safe and stale-while-revalidate. Default `0`. */
  grace?: Duration;
  /**
   * Random spread of every entry's ttl, as a fraction: `0.1` makes each ttl up to ±10 % longer or shorter,
   * so keys written together do not all expire together. From 0 (default) to below 1.
   */
  jitter?: number;
  /**
   * After a loader fails within grace, how long the stale value is served without calling the loader
   * again (per key and instance), so a failing database is not retried by every request. `0` retries at
   * every call. Default `'1s'`.
   */
  failureThrottle?: Duration;
  /** In-process tier, or `false` to disable it. */
  l1?: L1Options | false;
  /** Redis tier, or `false` to disable it. */
  l2?: L2Options | false;
  /** Invalidation bus (on when L2 is on), or `false` for a single-instance app. */
  bus?: BusOptions | false;
  /** Write-behind queue, needed by `@WriteBehind`. */
  writeBehind?: WriteBehindOptions;
  /** PostgreSQL change feed; off by default. */
  changeFeed?: ChangeFeedOptions;
  /** Register the module globally. Default `false`. */
  isGlobal?: boolean;
}

/** Builds a cache's options: the class given to `forRootAsync({ useClass })` or `useExisting`. */
export interface CacheOptionsFactory {
  createCacheOptions(): CacheModuleOptions | Promise<CacheModuleOptions>;
}

/**
 * Options of {@link CacheModule.forRootAsync}: one of `useFactory` (with `inject`), `useClass` or
 * `useExisting`; `name` and `isGlobal` are given here, as Nest needs them before any provider runs.
 */
export interface CacheModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** The cache's name (see {@link CacheModuleOptions.name}). */
  name?: string;
  /** Register the module globally. Default `false`. */
  isGlobal?: boolean;
  /** Builds the options, possibly from configuration. */
  useFactory?: (...args: never[]) => CacheModuleOptions | Promise<CacheModuleOptions>;
  /** Providers to inject into `useFactory`. */
  inject?: FactoryProvider['inject'];
  /** A class the module instantiates, whose `createCacheOptions()` builds the options. */
  useClass?: Type<CacheOptionsFactory>;
  /** A provider visible to the module (e.g. from `imports`) whose `createCacheOptions()` builds the options. */
  useExisting?: Type<CacheOptionsFactory>;
  /** More providers for the module, e.g. those `useFactory` injects. */
  extraProviders?: Provider[];
}
