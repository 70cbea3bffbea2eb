import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { Registry } from 'prom-client';
import { CACHE_NAME, CACHE_SERVICE } from '../cache.constants.js';
import { CacheService } from '../cache.service.js';
import { InvalidCacheOptionError } from '../cache.errors.js';
import { loadOptionalPeer } from '../peers/optional-peer.loader.js';
import type { CacheMetricsCollector } from './cache-metrics.collector.js';

// NOTE: typed by shape, not by prom-client's `Registry`, so that applications without prom-client type-check.
/** A prom-client `Registry`. */
export interface CacheMetricsRegistry {
  registerMetric(metric: never): void;
  metrics(): Promise<string>;
}

/** Options of {@link CacheMetricsModule.forRoot}. */
export interface CacheMetricsOptions {
  /** The prom-client `Registry` the metrics go to. Default: prom-client's default registry. */
  registry?: CacheMetricsRegistry;
}

const CACHE_METRICS_OPTIONS = Symbol('nestjs-tiered-cache:metrics-options');

/** One collector per registry, shared by every application in the process (metric names are unique). */
const collectors = new WeakMap<Registry, CacheMetricsCollector>();

// NOTE: prom-client (and the collector importing it) load only when CacheMetricsModule is imported.
async function collectorOf(registry: Registry | undefined): Promise<CacheMetricsCollector> {
  const { register } = await loadOptionalPeer<typeof import('prom-client')>('prom-client', 'CacheMetricsModule');
  const { CacheMetricsCollector } = await import('./cache-metrics.collector.js');
  const target = registry ?? register;
  const collector = collectors.get(target) ?? new CacheMetricsCollector(target);
  collectors.set(target, collector);
  return collector;
}

/** Reports every cache of the application (one series per namespace) while the application runs. */
@Injectable()
class CacheMetricsRegistrar implements OnModuleInit, OnApplicationShutdown {
  private registered: { collector: CacheMetricsCollector; namespaces: string[] } | undefined;

  constructor(
    private readonly modules: ModulesContainer,
    @Inject(CACHE_METRICS_OPTIONS) private readonly options: CacheMetricsOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    const registry = this.options.registry;
    if (registry !== undefined && typeof (registry as Partial<CacheMetricsRegistry> | null)?.registerMetric !== 'function') {
      throw new InvalidCacheOptionError('registry', 'must be a prom-client Registry');
    }
    const collector = await collectorOf(registry as Registry | undefined);
    const caches = this.caches();
    for (const cache of caches) collector.add(cache.namespace, cache.stats);
    this.registered = { collector, namespaces: caches.map((cache) => cache.namespace) };
  }

  // NOTE: found in every module of the application, so CacheModule need not be global, and every
  // named cache is reported. The `namespace` label tells them apart (caches of one application cannot
  // share one), so dashboards keep their labels and no `cache` label is added.
  private caches(): CacheService[] {
    return [...this.modules.values()].flatMap((module) => {
      const cache: unknown = module.providers.has(CACHE_NAME) ? module.providers.get(CACHE_SERVICE)?.instance : undefined;
      return cache instanceof CacheService ? [cache] : [];
    });
  }

  onApplicationShutdown(): void {
    for (const namespace of this.registered?.namespaces ?? []) this.registered?.collector.remove(namespace);
  }
}

/**
 * Prometheus metrics of the application's caches (`cache_hits_total`, `cache_misses_total`, ...). Import
 * it next to `PrometheusModule.register()` (which serves prom-client's default registry at `/metrics`), or
 * `CacheMetricsModule.forRoot({ registry })` for another registry; needs the `prom-client` package.
 */
@Module({ providers: [CacheMetricsRegistrar, { provide: CACHE_METRICS_OPTIONS, useValue: {} }] })
export class CacheMetricsModule {
  /** The metrics on the given registry (default: prom-client's default registry). */
  static forRoot(options: CacheMetricsOptions = {}): DynamicModule {
    return { module: CacheMetricsModule, providers: [{ provide: CACHE_METRICS_OPTIONS, useValue: options }] };
  }
}
