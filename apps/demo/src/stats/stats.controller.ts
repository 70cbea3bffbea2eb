import { Controller, Get } from '@nestjs/common';
import { CacheService } from 'nestjs-tiered-cache';
import { ProductsRepository } from '../products/products.repository.js';

/** `GET /stats`: database queries run and cache counters, to see what the cache saves. */
@Controller('stats')
export class StatsController {
  constructor(
    private readonly repository: ProductsRepository,
    private readonly cache: CacheService,
  ) {}

  @Get()
  stats(): { queries: number; cache: Record<string, unknown> } {
    return { queries: this.repository.queryCount, cache: this.cache.stats.snapshot() };
  }
}
