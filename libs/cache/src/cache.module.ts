import { ConfigurableModuleBuilder, Module, Optional, type DynamicModule, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { RAW_CACHE_OPTIONS } from './cache.constants.js';
import { CacheLifecycle } from './cache.lifecycle.js';
import { cacheExports, cacheProviders } from './cache.providers.js';
import { InvalidCacheOptionError } from './cache.errors.js';
import { cacheName, globalFlag } from './options/cache-options.validator.js';
import type { CacheModuleAsyncOptions, CacheModuleOptions, CacheOptionsFactory } from './options/cache-options.interface.js';

interface CacheModuleExtras {
  name: string | undefined;
  isGlobal: boolean;
  extraProviders: Provider[];
}

// NOTE: Nest's builder gives forRootAsync its useFactory/useClass/useExisting; the extras (name, isGlobal,
// extraProviders) shape the module before any provider runs, so they are validated here, where declared.
const { ConfigurableModuleClass } = new ConfigurableModuleBuilder<CacheModuleOptions, 'forRoot', keyof CacheOptionsFactory, CacheModuleExtras>({
  optionsInjectionToken: RAW_CACHE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createCacheOptions')
  .setExtras<CacheModuleExtras>({ name: undefined, isGlobal: false, extraProviders: [] }, (definition, extras) => {
    const name = cacheName(extras.name);
    return {
      ...definition,
      global: globalFlag(extras.isGlobal),
      imports: [DiscoveryModule, ...(definition.imports ?? [])],
      providers: [...(definition.providers ?? []), ...cacheProviders(name), ...(extras.extraProviders ?? [])],
      exports: cacheExports(name),
    };
  })
  .build();

/**
 * Two-tier caching for a Nest application: `CacheModule.forRoot({ namespace, ... })`; several caches with
 * `forRoot({ name, namespace, ... })`.
 */
@Module({})
export class CacheModule extends ConfigurableModuleClass implements OnApplicationShutdown {
  constructor(@Optional() private readonly lifecycle?: CacheLifecycle) {
    super();
  }

  /** Registers a cache with static options (validated at startup). */
  static override forRoot(options: CacheModuleOptions): DynamicModule {
    return super.forRoot(options);
  }

  /** Registers a cache with options built by a factory or a class, e.g. from `ConfigService`. */
  static override forRootAsync(options: CacheModuleAsyncOptions): DynamicModule {
    const builders = [options.useFactory, options.useClass, options.useExisting].filter((builder) => builder !== undefined);
    if (builders.length !== 1) throw new InvalidCacheOptionError('forRootAsync', 'needs exactly one of useFactory, useClass or useExisting');
    return super.forRootAsync(options as Parameters<typeof ConfigurableModuleClass.forRootAsync>[0]);
  }

  // NOTE: Nest runs a module class's shutdown hook after those of all its providers (the write-behind
  // flush included) and after every module that imports it, so the cache's connections close last.
  async onApplicationShutdown(): Promise<void> {
    await this.lifecycle?.close();
  }
}
