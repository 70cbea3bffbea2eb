import { Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { register, type Registry } from 'prom-client';
import { CacheService } from '../cache.service.js';
import { CacheMetricsCollector } from './cache-metrics.collector.js';

/** One collector per registry, shared by every application in the process (metric names are unique). */
const collectors = new WeakMap<Registry, CacheMetricsCollector>();

function collectorFor(registry: Registry): CacheMetricsCollector {
  const existing = collectors.get(registry);
  if (existing) return existing;
  const collector = new CacheMetricsCollector(registry);
  collectors.set(registry, collector);
  return collector;
}

/** Reports the application's cache on prom-client's default registry while the application runs. */
@Injectable()
class CacheMetricsRegistrar implements OnModuleInit, OnApplicationShutdown {
  private namespace: string | undefined;

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    // NOTE: found anywhere in the application, so CacheModule need not be global.
    const cache = this.moduleRef.get(CacheService, { strict: false });
    this.namespace = cache.namespace;
    collectorFor(register).add(cache.namespace, cache.stats);
  }

  onApplicationShutdown(): void {
    if (this.namespace !== undefined) collectorFor(register).remove(this.namespace);
  }
}

/**
 * Prometheus metrics of the cache (`cache_hits_total`, `cache_misses_total`, ...). Import it next to
 * `PrometheusModule.register()` (which serves prom-client's default registry at `/metrics`).
 */
@Module({ providers: [CacheMetricsRegistrar] })
export class CacheMetricsModule {}
