import { Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Registry } from 'prom-client';
import { CacheService } from '../cache.service.js';
import { loadOptionalPeer } from '../peers/optional-peer.loader.js';
import type { CacheMetricsCollector } from './cache-metrics.collector.js';

/** One collector per registry, shared by every application in the process (metric names are unique). */
const collectors = new WeakMap<Registry, CacheMetricsCollector>();

// NOTE: prom-client (and the collector importing it) load only when CacheMetricsModule is imported.
async function defaultRegistryCollector(): Promise<CacheMetricsCollector> {
  const { register } = await loadOptionalPeer<typeof import('prom-client')>('prom-client', 'CacheMetricsModule');
  const { CacheMetricsCollector } = await import('./cache-metrics.collector.js');
  const collector = collectors.get(register) ?? new CacheMetricsCollector(register);
  collectors.set(register, collector);
  return collector;
}

/** Reports the application's cache on prom-client's default registry while the application runs. */
@Injectable()
class CacheMetricsRegistrar implements OnModuleInit, OnApplicationShutdown {
  private registered: { collector: CacheMetricsCollector; namespace: string } | undefined;

  constructor(private readonly moduleRef: ModuleRef) {}

  async onModuleInit(): Promise<void> {
    // NOTE: found anywhere in the application, so CacheModule need not be global.
    const cache = this.moduleRef.get(CacheService, { strict: false });
    const collector = await defaultRegistryCollector();
    collector.add(cache.namespace, cache.stats);
    this.registered = { collector, namespace: cache.namespace };
  }

  onApplicationShutdown(): void {
    this.registered?.collector.remove(this.registered.namespace);
  }
}

/**
 * Prometheus metrics of the cache (`cache_hits_total`, `cache_misses_total`, ...). Import it next to
 * `PrometheusModule.register()` (which serves prom-client's default registry at `/metrics`); needs the
 * `prom-client` package.
 */
@Module({ providers: [CacheMetricsRegistrar] })
export class CacheMetricsModule {}
