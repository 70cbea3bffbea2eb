import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import type { Product, ProductChanges } from './product.js';
import { ProductChangesPipe } from './product-changes.pipe.js';
import { ProductIdPipe } from './product-id.pipe.js';
import { ProductsService } from './products.service.js';

/** The catalogue's HTTP API. */
@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get()
  list(@Query('category') category: unknown): Promise<Product[]> {
    if (typeof category !== 'string' || category.trim() === '') {
      throw new BadRequestException("Query parameter 'category' is required");
    }
    return this.products.findByCategory(category.trim());
  }

  @Get(':id')
  findOne(@Param('id', ProductIdPipe) id: number): Promise<Product> {
    return this.products.findOne(id);
  }

  @Put(':id')
  update(@Param('id', ProductIdPipe) id: number, @Body(ProductChangesPipe) changes: ProductChanges): Promise<Product> {
    return this.products.update(id, changes);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id', ProductIdPipe) id: number): Promise<void> {
    return this.products.remove(id);
  }
}
