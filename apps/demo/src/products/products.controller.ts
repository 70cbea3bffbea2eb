import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query, UseInterceptors } from '@nestjs/common';
import { CacheKey, CacheTTL, CacheTags, HttpCacheInterceptor } from 'nestjs-tiered-cache';
import { CategoryPipe } from './category.pipe.js';
import type { Product, ProductChanges, ProductSummary } from './product.js';
import { ProductChangesPipe } from './product-changes.pipe.js';
import { ProductIdPipe } from './product-id.pipe.js';
import { ProductsService } from './products.service.js';

/** The catalogue's HTTP API; input is validated by pipes, so bad input is a 400 and never reaches the cache. */
@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  /**
   * `GET /products?category=category-5`: up to 100 products of the category. The whole response is
   * cached (`X-Cache`, `ETag`/304, `Cache-Control`) under the same tag as the service's list, so a write
   * to the category drops it on every instance; other query parameters do not split the entry.
   */
  @Get()
  @UseInterceptors(HttpCacheInterceptor)
  @CacheKey('response:list:{query.category}')
  @CacheTags('category:{query.category}')
  @CacheTTL('1m')
  list(@Query('category', CategoryPipe) category: string): Promise<Product[]> {
    return this.products.findByCategory(category);
  }

  /** `GET /products/13/summary`: a short view of the product, cached as an HTTP response tagged `product:13`. */
  @Get(':id/summary')
  @UseInterceptors(HttpCacheInterceptor)
  @CacheKey('response:summary:{params.id}')
  @CacheTags('product:{params.id}')
  @CacheTTL('1m')
  summary(@Param('id', ProductIdPipe) id: number): Promise<ProductSummary> {
    return this.products.summary(id);
  }

  /** `GET /products/13`. */
  @Get(':id')
  findOne(@Param('id', ProductIdPipe) id: number): Promise<Product> {
    return this.products.findOne(id);
  }

  /** `PUT /products/13` with `{ name?, category?, price? }`: the updated product. */
  @Put(':id')
  update(@Param('id', ProductIdPipe) id: number, @Body(ProductChangesPipe) changes: ProductChanges): Promise<Product> {
    return this.products.update(id, changes);
  }

  /** `DELETE /products/13`: 204, or 404 when there is no such product. */
  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id', ProductIdPipe) id: number): Promise<void> {
    return this.products.remove(id);
  }
}
