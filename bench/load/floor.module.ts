import { Controller, Get, Module, Put } from '@nestjs/common';

const PRODUCT = Object.freeze({ id: 1, name: 'Product 1', category: 'category-1', price: 1.37, updatedAt: new Date(0) });

/** The demo's product routes answering a constant product: the floor of this stack (Nest, Express, HTTP). */
@Controller('products')
class FloorController {
  @Get()
  list(): readonly object[] {
    return [PRODUCT];
  }

  @Get(':id')
  findOne(): object {
    return PRODUCT;
  }

  @Put(':id')
  update(): object {
    return PRODUCT;
  }
}

@Controller('stats')
class FloorStatsController {
  @Get()
  stats(): { queries: number } {
    return { queries: 0 };
  }
}

/** A Nest app whose product endpoints return a constant: no database, no cache. */
@Module({ controllers: [FloorController, FloorStatsController] })
export class FloorModule {}
