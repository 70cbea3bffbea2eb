import type { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule as AfterModule, QuotesService as AfterQuotes } from './support/migration/after.app.js';
import { AppModule as BeforeModule, QuotesService as BeforeQuotes } from './support/migration/before.app.js';
import { waitFor } from './support/test-redis.js';

// The same assertions for an app on @nestjs/cache-manager (in memory) and for the same app switched to
// this library (imports and module registration changed only, on a real Redis).
describe.each([
  ['@nestjs/cache-manager', BeforeModule, BeforeQuotes],
  ['nestjs-tiered-cache', AfterModule, AfterQuotes],
] as [string, Type, Type<{ computed: Map<string, number> }>][])('an app written for @nestjs/cache-manager, on %s', (_name, module, quotesType) => {
  let app: INestApplication;
  let computed: Map<string, number>;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
    computed = app.get(quotesType).computed;
  });

  afterAll(async () => {
    await app?.close();
  });

  const get = (path: string) => request(app.getHttpServer()).get(path);

  it('serves the second GET from the cache', async () => {
    const first = await get('/products').expect(200);
    const second = await get('/products').expect(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(computed.get('all')).toBe(1);
  });

  it('honours @CacheTTL in milliseconds', async () => {
    await get('/products/flash').expect(200);
    expect((await get('/products/flash').expect(200)).body).toEqual({ run: 1 });
    await waitFor(async () => (await get('/products/flash').expect(200)).body.run === 2, { timeout: 10_000 });
  });

  it('uses the @CacheKey key, which CACHE_MANAGER.del clears', async () => {
    await get('/products/featured').expect(200);
    expect((await get('/products/featured').expect(200)).body).toEqual({ run: 1 });
    await request(app.getHttpServer()).delete('/products/featured/cache').expect(200);
    expect((await get('/products/featured').expect(200)).body).toEqual({ run: 2 });
  });

  it('runs CACHE_MANAGER.wrap and get/set once per key', async () => {
    await get('/products/quote/a').expect(200);
    const quote = await request(app.getHttpServer()).get('/products/quote/a?again=1').expect(200);
    expect(quote.body).toEqual({ id: 'a', run: 1 });
    expect((await get('/products/greeting').expect(200)).text).toBe('hello #1');
    expect((await get('/products/greeting?again=1').expect(200)).text).toBe('hello #1');
  });
});
