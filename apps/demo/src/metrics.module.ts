import { Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { CacheMetricsModule } from 'nestjs-tiered-cache';

/**
 * `GET /metrics` for Prometheus, with the cache's metrics. Kept out of `DemoModule` because
 * `@willsoto/nestjs-prometheus` is CommonJS requiring ESM-only NestJS: plain Node 20 loads it, Jest's
 * CommonJS loader cannot, and the tests import `DemoModule`.
 */
@Module({ imports: [PrometheusModule.register(), CacheMetricsModule] })
export class MetricsModule {}
