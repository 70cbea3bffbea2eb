import { Body, Controller, Get, Injectable, Next, Param, Post, Req, Res, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheDecoratorError, CacheModule, Cacheable } from 'nestjs-tiered-cache';
import { uniqueNamespace } from './support/test-redis.js';

async function startWith(controller: Type): Promise<void> {
  const moduleRef = await Test.createTestingModule({
    imports: [CacheModule.forRoot({ namespace: uniqueNamespace(), l2: false })],
    controllers: [controller],
  }).compile();
  try {
    await moduleRef.init();
  } finally {
    await moduleRef.close();
  }
}

describe('a default key on a handler taking request objects', () => {
  it.each([
    ['@Req()', Req],
    ['@Res()', Res],
    ['@Next()', Next],
    ['@Body()', Body],
  ])('fails at startup naming the class, the method and %s', async (name, decorator) => {
    @Controller('orders')
    class OrdersController {
      @Get(':id')
      @Cacheable({ ttl: '1m' })
      async find(@Param('id') id: string, @decorator() request: unknown): Promise<string> {
        return `${id}${String(request)}`;
      }
    }

    const started = startWith(OrdersController);

    await expect(started).rejects.toThrow(`nestjs-tiered-cache: OrdersController.find: the default key would hash the ${name} argument 1`);
  });

  it('starts with an explicit key, or with a body property', async () => {
    @Controller('orders')
    class KeyedController {
      @Get(':id')
      @Cacheable({ key: 'order:{0}' })
      async find(@Param('id') id: string, @Req() request: unknown): Promise<string> {
        return `${id}${typeof request}`;
      }

      @Post('search')
      @Cacheable()
      async search(@Body('term') term: string): Promise<string> {
        return term;
      }
    }

    await expect(startWith(KeyedController)).resolves.toBeUndefined();
  });
});

describe('a malformed key template', () => {
  it('fails at startup with a CacheDecoratorError that names the method once, after the library prefix', async () => {
    @Controller('broken')
    class BrokenController {
      @Get(':id')
      @Cacheable({ key: 'x:{2}' })
      async find(@Param('id') id: string): Promise<string> {
        return id;
      }
    }

    const error = await startWith(BrokenController).then(
      () => undefined,
      (reason: unknown) => reason,
    );

    expect(error).toBeInstanceOf(CacheDecoratorError);
    expect((error as Error).message).toBe(
      "nestjs-tiered-cache: BrokenController.find: cache key template 'x:{2}' refers to argument 2, but the method declares 1 parameter (0)",
    );
  });
});

describe('an invalid decorator duration', () => {
  it('names the library once, then the method and the option', async () => {
    @Controller('slow')
    class SlowController {
      @Get(':id')
      @Cacheable({ key: 'slow:{0}', ttl: 'ten minutes' as never })
      async find(@Param('id') id: string): Promise<string> {
        return id;
      }
    }

    await expect(startWith(SlowController)).rejects.toThrow(/^nestjs-tiered-cache: SlowController\.find: invalid option 'ttl'/);
  });
});

describe('two classes of one name caching a method of one name by default key', () => {
  function catalogueService(): Type {
    @Injectable()
    class CatalogueService {
      @Cacheable({ ttl: '1m' })
      async find(id: string): Promise<string> {
        return id;
      }
    }
    return CatalogueService;
  }

  async function start(...providers: Type[]): Promise<void> {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespace: uniqueNamespace(), l2: false })],
      providers: providers.map((provide, index) => ({ provide: `service-${index}`, useClass: provide })),
    }).compile();
    try {
      await moduleRef.init();
    } finally {
      await moduleRef.close();
    }
  }

  it('fails at startup naming the method and the shared keys', async () => {
    await expect(start(catalogueService(), catalogueService())).rejects.toThrow(
      "nestjs-tiered-cache: CatalogueService.find: another class named CatalogueService in this application also caches find() without a key template, so both would use the keys 'CatalogueService.find:<hash>' of cache 'default': give one of them a `key`",
    );
  });

  it('starts when it is one class provided twice, or a subclass inheriting the method', async () => {
    const service = catalogueService();
    class SpecialCatalogueService extends service {}

    await expect(start(service, service, SpecialCatalogueService)).resolves.toBeUndefined();
  });
});
