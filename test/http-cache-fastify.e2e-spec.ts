import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CacheModule, CacheService } from '../libs/cache/src/index.js';
import { Calls, ItemsController } from './support/http-cache-items.controller.js';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

describe('HttpCacheInterceptor on Fastify, real Redis', () => {
  let app: NestFastifyApplication;
  let calls: Calls;
  let cache: CacheService;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespace: uniqueNamespace('http-fastify'), defaultTtl: '1m', grace: '10m', l2: { redis: redisUrl() } })],
      controllers: [ItemsController],
      providers: [Calls],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: ['error'] });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    calls = app.get(Calls);
    cache = app.get(CacheService);
  });

  afterAll(async () => {
    await app?.close();
  });

  const get = (path: string) => request(app.getHttpServer()).get(path);

  it('serves the second GET from the cache, with the same ETag, and 304 on If-None-Match', async () => {
    const first = await get('/items/value?b=2&a=1').expect(200);
    expect(first.headers['x-cache']).toBe('MISS');
    expect(first.headers['cache-control']).toBe('public, max-age=60, stale-while-revalidate=600');
    const second = await get('/items/value?a=1&b=2').expect(200);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.body).toEqual(first.body);
    const notModified = await get('/items/value?a=1&b=2').set('If-None-Match', first.headers.etag).expect(304);
    expect(notModified.text).toBe('');
    const head = await request(app.getHttpServer()).head('/items/value?a=1&b=2').expect(200);
    expect(head.headers['x-cache']).toBe('HIT');
    expect(calls.of('value')).toBe(1);
  });

  it('caches Observable results and drops a response when its tag is invalidated', async () => {
    await get('/items/observable').expect(200);
    expect((await get('/items/observable').expect(200)).headers['x-cache']).toBe('HIT');
    await get('/items/tagged/3').expect(200);
    await cache.invalidateTags('item:3');
    expect((await get('/items/tagged/3').expect(200)).body).toEqual({ id: '3', run: 2 });
  });

  it.each(['private', 'cookie', 'missing', 'off', 'raw', 'passthrough'])('never caches /items/%s', async (name) => {
    await get(`/items/${name}`);
    const second = await get(`/items/${name}`);
    expect(second.headers['x-cache']).toBeUndefined();
    expect(calls.of(name)).toBe(2);
  });

  it('never serves a request with Authorization from the shared entry', async () => {
    await get('/items/me').expect(200);
    const alice = await get('/items/me').set('Authorization', 'Bearer alice').expect(200);
    expect(alice.headers['x-cache']).toBeUndefined();
    expect(alice.body.run).toBe(2);
  });
});
