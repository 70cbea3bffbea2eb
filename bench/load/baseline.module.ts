import { Controller, Get, Inject, Injectable, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { DATABASE, type Database } from '../../apps/demo/src/database/database.interface.js';
import { DatabaseModule } from '../../apps/demo/src/database/database.module.js';
import { ProductsController } from '../../apps/demo/src/products/products.controller.js';
import { ProductsRepository } from '../../apps/demo/src/products/products.repository.js';
import { ProductsService } from '../../apps/demo/src/products/products.service.js';
import { seedProducts } from '../../apps/demo/src/products/seed-products.js';

const SEED_COUNT = Symbol('SEED_COUNT');

/** `GET /stats` of the baseline: the queries run (no cache counters: there is no cache). */
@Controller('stats')
class BaselineStatsController {
  constructor(private readonly repository: ProductsRepository) {}

  @Get()
  stats(): { queries: number } {
    return { queries: this.repository.queryCount };
  }
}

/** Seeds an empty table (a PGlite of its own; a shared PostgreSQL database is already seeded by the demo). */
@Injectable()
class BaselineSeeder implements OnModuleInit {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(SEED_COUNT) private readonly count: number,
  ) {}

  async onModuleInit(): Promise<void> {
    await seedProducts(this.database, this.count);
  }
}

/**
 * The demo's routes, service and repository without `CacheModule`: the decorated methods find no cache
 * and run as plain methods, so every read is a query. The baseline of the load benchmark.
 */
@Module({})
export class BaselineModule {
  static forRoot(databaseUrl: string | undefined, seedCount: number): DynamicModule {
    return {
      module: BaselineModule,
      imports: [DatabaseModule.forRoot({ databaseUrl })],
      controllers: [ProductsController, BaselineStatsController],
      providers: [ProductsRepository, ProductsService, BaselineSeeder, { provide: SEED_COUNT, useValue: seedCount }],
    };
  }
}
