import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CacheModule, type CacheModuleOptions } from 'nestjs-tiered-cache';
import { DatabaseModule } from './database/database.module.js';
import type { Database } from './database/database.interface.js';
import { DEMO_CONFIG, type DemoConfig } from './demo.config.js';
import { HealthController } from './health/health.controller.js';
import { ProductsChangeHandler } from './products/products.change-handler.js';
import { ProductsController } from './products/products.controller.js';
import { ProductsRepository } from './products/products.repository.js';
import { ProductsSeeder } from './products/products.seeder.js';
import { ProductsService } from './products/products.service.js';
import { StatsController } from './stats/stats.controller.js';

/** The product catalogue: database, cache, products API, stats and health. */
@Module({})
export class DemoModule {
  /**
   * One instance of the demo. `shared`: a database opened by the caller, which it keeps open (tests run
   * several instances on one database); otherwise the module opens PGlite, or PostgreSQL at `databaseUrl`.
   */
  static forRoot(config: DemoConfig, shared?: Database): DynamicModule {
    return {
      module: DemoModule,
      imports: [
        DatabaseModule.forRoot({ databaseUrl: config.databaseUrl, shared }),
        CacheModule.forRoot({
          namespace: config.namespace,
          defaultTtl: '5m',
          grace: '1h',
          l1: { max: 50_000, ttl: '30s' },
          l2: { redis: config.redisUrl },
          ...(config.changeFeed && config.databaseUrl ? { changeFeed: changeFeedOptions(config.namespace, config.databaseUrl) } : {}),
          isGlobal: true,
        }),
        TerminusModule,
      ],
      controllers: [ProductsController, StatsController, HealthController],
      providers: [{ provide: DEMO_CONFIG, useValue: config }, ProductsRepository, ProductsService, ProductsSeeder, ProductsChangeHandler],
    };
  }
}

/** One slot and publication per namespace, named after it. */
function changeFeedOptions(namespace: string, postgres: string): CacheModuleOptions['changeFeed'] {
  const name = `${namespace.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_cache`;
  return { postgres, slot: name, publication: name };
}
