import { Module, Optional, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CACHE_OPTIONS, L1_STORE, L2_STORE, RAW_CACHE_OPTIONS } from './cache.constants.js';
import { CacheLifecycle } from './cache.lifecycle.js';
import { CACHE_PROVIDERS } from './cache.providers.js';
import { CacheService } from './cache.service.js';
import { CACHE_MANAGER } from './compat/cache-manager.token.js';
import { CacheHealthIndicator } from './health/cache-health.indicator.js';
import { WriteBehindQueue } from './write-behind/write-behind.queue.js';
import { globalFlag } from './options/cache-options.validator.js';
import type { CacheModuleAsyncOptions, CacheModuleOptions } from './options/cache-options.interface.js';
import { CacheEvents } from './events/cache.events.js';
import { CacheStats } from './stats/cache-stats.js';

const EXPORTS = [CacheService, CacheStats, CacheEvents, CacheHealthIndicator, WriteBehindQueue, CACHE_OPTIONS, L1_STORE, L2_STORE, CACHE_MANAGER];

/** Two-tier caching for a Nest application: `CacheModule.forRoot({ namespace, ... })`. */
@Module({})
export class CacheModule implements OnApplicationShutdown {
  constructor(@Optional() private readonly lifecycle?: CacheLifecycle) {}

  /** Registers the cache with static options (validated at startup). */
  static forRoot(options: CacheModuleOptions): DynamicModule {
    return {
      module: CacheModule,
      global: globalFlag(options.isGlobal),
      imports: [DiscoveryModule],
      providers: [{ provide: RAW_CACHE_OPTIONS, useValue: options }, ...CACHE_PROVIDERS],
      exports: EXPORTS,
    };
  }

  /** Registers the cache with options built by a factory, e.g. from `ConfigService`. */
  static forRootAsync(options: CacheModuleAsyncOptions): DynamicModule {
    return {
      module: CacheModule,
      global: globalFlag(options.isGlobal),
      imports: [DiscoveryModule, ...(options.imports ?? [])],
      providers: [
        { provide: RAW_CACHE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        ...CACHE_PROVIDERS,
      ],
      exports: EXPORTS,
    };
  }

  // NOTE: Nest runs a module class's shutdown hook after those of all its providers (the write-behind
  // flush included) and after every module that imports it, so the cache's connections close last.
  async onApplicationShutdown(): Promise<void> {
    await this.lifecycle?.close();
  }
}
