// before.app.ts migrated to nestjs-tiered-cache: only the import below and the module registration differ.
import { CACHE_MANAGER, CacheInterceptor, CacheKey, CacheModule, CacheTTL, type Cache } from '../../../libs/cache/src/index.js';
import { redisUrl, uniqueNamespace } from '../test-redis.js';
import { Controller, Delete, Get, Inject, Injectable, Module, Param, UseInterceptors } from '@nestjs/common';

@Injectable()
export class QuotesService {
  readonly computed = new Map<string, number>();

  constructor(@Inject(CACHE_MANAGER) private readonly cacheManager: Cache) {}

  run(name: string): number {
    const count = (this.computed.get(name) ?? 0) + 1;
    this.computed.set(name, count);
    return count;
  }

  quote(id: string): Promise<{ id: string; run: number }> {
    return this.cacheManager.wrap(`quote:${id}`, async () => ({ id, run: this.run(`quote:${id}`) }), 60_000);
  }

  async greeting(): Promise<string> {
    const cached = await this.cacheManager.get<string>('greeting');
    if (cached !== undefined) return cached;
    const greeting = `hello #${this.run('greeting')}`;
    await this.cacheManager.set('greeting', greeting, 60_000);
    return greeting;
  }

  async forgetFeatured(): Promise<void> {
    await this.cacheManager.del('featured');
  }
}

@Controller('products')
@UseInterceptors(CacheInterceptor)
export class ProductsController {
  constructor(private readonly quotes: QuotesService) {}

  @Get()
  findAll(): { run: number } {
    return { run: this.quotes.run('all') };
  }

  @Get('featured')
  @CacheKey('featured')
  @CacheTTL(60_000)
  featured(): { run: number } {
    return { run: this.quotes.run('featured') };
  }

  @Get('flash')
  @CacheTTL(300)
  flash(): { run: number } {
    return { run: this.quotes.run('flash') };
  }

  @Get('quote/:id')
  quote(@Param('id') id: string): Promise<{ id: string; run: number }> {
    return this.quotes.quote(id);
  }

  @Get('greeting')
  greeting(): Promise<string> {
    return this.quotes.greeting();
  }

  @Delete('featured/cache')
  forgetFeatured(): Promise<void> {
    return this.quotes.forgetFeatured();
  }
}

@Module({
  imports: [CacheModule.forRoot({ namespace: uniqueNamespace('migrated'), defaultTtl: 60_000, l2: { redis: redisUrl() } })],
  controllers: [ProductsController],
  providers: [QuotesService],
})
export class AppModule {}
