import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { CacheService } from 'nestjs-tiered-cache';
import { DATABASE, type Database } from '../database/database.interface.js';
import { DEMO_CONFIG, type DemoConfig } from '../demo.config.js';
import { seedProducts } from './seed-products.js';

/**
 * Creates and seeds the products table before the app serves. When it inserted data (a fresh database,
 * e.g. PGlite at every start), entries Redis kept from an earlier run describe other data: the cache
 * namespace is cleared (no tag carried by every entry is needed for that, and none exists).
 */
@Injectable()
export class ProductsSeeder implements OnModuleInit {
  private readonly logger = new Logger('ProductsSeeder');

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(DEMO_CONFIG) private readonly config: DemoConfig,
    private readonly cache: CacheService,
  ) {}

  async onModuleInit(): Promise<void> {
    const started = Date.now();
    const inserted = await seedProducts(this.database, this.config.seedCount);
    if (inserted === 0) return;
    await this.cache.clear();
    this.logger.log(`Seeded ${inserted} products in ${Date.now() - started} ms; cached products from earlier runs invalidated`);
  }
}
