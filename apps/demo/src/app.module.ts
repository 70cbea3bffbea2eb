import { Module, type DynamicModule } from '@nestjs/common';
import { CacheModule } from 'nestjs-tiered-cache';
import { DatabaseModule } from './database/database.module.js';
import type { Database } from './database/database.interface.js';
import type { DemoConfig } from './demo.config.js';
import { ProductsController } from './products/products.controller.js';
import { ProductsRepository } from './products/products.repository.js';
import { ProductsService } from './products/products.service.js';
import { StatsController } from './stats/stats.controller.js';

/** The product catalogue: database, cache, products API and stats. */
@Module({})
export class DemoModule {
  /** `shared`: a database other instances use too (tests run several instances on one database). */
  static forRoot(config: DemoConfig, shared?: Database): DynamicModule {
    return {
      module: DemoModule,
      imports: [
        DatabaseModule.forRoot({ databaseUrl: config.databaseUrl, seedCount: config.seedCount, shared }),
        CacheModule.forRoot({
          namespace: config.namespace,
          defaultTtl: '5m',
          grace: '1h',
          l1: { max: 50_000, ttl: '30s' },
          l2: { redis: config.redisUrl },
          isGlobal: true,
        }),
      ],
      controllers: [ProductsController, StatsController],
      providers: [ProductsRepository, ProductsService],
    };
  }
}
