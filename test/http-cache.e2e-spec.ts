import { Controller, Get, type INestApplication } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { register } from 'prom-client';
import { CacheMetricsModule, CacheModule, CacheService, CacheTTL, HttpCacheInterceptor, NoCache } from '../libs/cache/src/index.js';
import { Calls, ItemsController } from './support/http-cache-items.controller.js';
import { redisUrl, uniqueNamespace, waitFor } from './support/test-redis.js';

describe('HttpCacheInterceptor on Express, real Redis', () => {
  let app: INestApplication;
  let calls: Calls;
  let cache: CacheService;
  const namespace = uniqueNamespace('http');

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespace, defaultTtl: '1m', grace: '10m', l2: { redis: redisUrl() } }), CacheMetricsModule],
      controllers: [ItemsController],
      providers: [Calls],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
    calls = app.get(Calls);
    cache = app.get(CacheService);
  });

  afterAll(async () => {
    await app?.close();
  });

  const get = (path: string) => request(app.getHttpServer()).get(path);

  it('serves the second GET from the cache with X-Cache, ETag, Age and Cache-Control', async () => {
    const first = await get('/items/value').expect(200);
    expect(first.headers['x-cache']).toBe('MISS');
    expect(first.headers.etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers['cache-control']).toBe('public, max-age=60, stale-while-revalidate=600');
    const second = await get('/items/value').expect(200);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body).toEqual(first.body);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(Number(second.headers.age)).toBeGreaterThanOrEqual(0);
    expect(second.headers['cache-control']).toMatch(/^public, max-age=(59|60), stale-while-revalidate=600$/);
    expect(calls.of('value')).toBe(1);
    expect(cache.stats.http.hits).toBeGreaterThanOrEqual(1);
  });

  it('answers 304 to a matching If-None-Match, from L1, and 200 to a stale one', async () => {
    const { headers } = await get('/items/value').expect(200);
    const notModified = await get('/items/value').set('If-None-Match', headers.etag).expect(304);
    expect(notModified.text).toBe('');
    expect(notModified.headers.etag).toBe(headers.etag);
    await get('/items/value').set('If-None-Match', '"other"').expect(200);
    expect(calls.of('value')).toBe(1);
  });

  it('caches a HEAD like the GET it shares an entry with', async () => {
    await get('/items/value').expect(200);
    const head = await request(app.getHttpServer()).head('/items/value').expect(200);
    expect(head.headers['x-cache']).toBe('HIT');
    expect(calls.of('value')).toBe(1);
  });

  it('caches Observable results', async () => {
    const first = await get('/items/observable').expect(200);
    const second = await get('/items/observable').expect(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(calls.of('observable')).toBe(1);
  });

  it('keys by a template and drops the response when its tag is invalidated', async () => {
    await get('/items/tagged/7').expect(200);
    expect((await get('/items/tagged/7').expect(200)).headers['x-cache']).toBe('HIT');
    await get('/items/tagged/8').expect(200);
    await cache.invalidateTags('item:7');
    const after = await get('/items/tagged/7').expect(200);
    expect(after.headers['x-cache']).toBe('MISS');
    expect(after.body).toEqual({ id: '7', run: 2 });
    expect((await get('/items/tagged/8').expect(200)).headers['x-cache']).toBe('HIT');
  });

  it('honours @CacheTTL in milliseconds', async () => {
    await get('/items/short').expect(200);
    await waitFor(async () => (await get('/items/short')).headers['x-cache'] === 'MISS', { timeout: 10_000 });
    expect(calls.of('short')).toBe(2);
  });

  it('serves the stale response within grace when the handler fails, with X-Cache: STALE', async () => {
    const first = await get('/items/flaky').expect(200);
    await waitFor(async () => (await get('/items/flaky')).headers['x-cache'] === 'STALE', { timeout: 10_000 });
    const stale = await get('/items/flaky').expect(200);
    expect(stale.body).toEqual(first.body);
    expect(stale.headers['cache-control']).toMatch(/^public, max-age=0, stale-while-revalidate=600$/);
  });

  it('replays the handler’s own Cache-Control', async () => {
    await get('/items/own-cache-control').expect(200);
    const hit = await get('/items/own-cache-control').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['cache-control']).toBe('public, max-age=7');
  });

  it.each(['private', 'cookie', 'missing', 'off', 'passthrough'])('never caches /items/%s', async (name) => {
    await get(`/items/${name}`);
    const second = await get(`/items/${name}`);
    expect(second.headers['x-cache']).toBeUndefined();
    expect(calls.of(name)).toBe(2);
  });

  it('passes @Res() handlers through uncached', async () => {
    await get('/items/raw').expect(200);
    await get('/items/raw').expect(200);
    expect(calls.of('raw')).toBe(2);
  });

  it('caches a 404 only with @CacheNotFound', async () => {
    await get('/items/missing-cached').expect(404);
    const second = await get('/items/missing-cached').expect(404);
    expect(second.body).toMatchObject({ statusCode: 404, message: 'no such item' });
    expect(second.headers['x-cache']).toBe('HIT');
    expect(calls.of('missing-cached')).toBe(1);
  });

  it('never serves a request with Authorization or a session cookie from the shared entry', async () => {
    await get('/items/me').expect(200);
    const alice = await get('/items/me').set('Authorization', 'Bearer alice').expect(200);
    const bob = await get('/items/me').set('Cookie', 'connect.sid=bob').expect(200);
    expect(alice.headers['x-cache']).toBeUndefined();
    expect(bob.headers['x-cache']).toBeUndefined();
    expect([alice.body.run, bob.body.run]).toEqual([2, 3]);
  });

  it('keys by @CacheVary headers and sends Vary', async () => {
    const french = await get('/items/greeting').set('Accept-Language', 'fr').expect(200);
    const english = await get('/items/greeting').set('Accept-Language', 'en').expect(200);
    expect(english.body).not.toEqual(french.body);
    const frenchAgain = await get('/items/greeting').set('Accept-Language', 'fr').expect(200);
    expect(frenchAgain.headers['x-cache']).toBe('HIT');
    expect(frenchAgain.body).toEqual(french.body);
    expect(frenchAgain.headers.vary).toBe('accept-language');
    expect(calls.of('greeting')).toBe(2);
  });

  it('counts HTTP results apart in stats and metrics, and their reads in the per-layer hits', async () => {
    await get('/items/value').expect(200);
    const text = await register.metrics();
    const sample = (metric: string, labels: string) =>
      Number(text.split('\n').find((line) => line.startsWith(`${metric}{`) && line.includes(`namespace="${namespace}"`) && line.includes(labels))?.split(' ').pop());
    expect(sample('cache_http_responses_total', 'result="hits"')).toBe(cache.stats.http.hits);
    expect(sample('cache_http_responses_total', 'result="misses"')).toBeGreaterThan(0);
    expect(sample('cache_http_responses_total', 'result="bypassed"')).toBeGreaterThan(0);
    expect(sample('cache_hits_total', 'cache_layer="l1"')).toBeGreaterThanOrEqual(cache.stats.http.hits);
  });

  it('caches per user when the key names the user, privately, and never mixes users', async () => {
    const alice = await get('/items/mine').set('Authorization', 'Bearer alice').expect(200);
    const bob = await get('/items/mine').set('Authorization', 'Bearer bob').expect(200);
    expect(bob.body.run).not.toBe(alice.body.run);
    const aliceAgain = await get('/items/mine').set('Authorization', 'Bearer alice').expect(200);
    expect(aliceAgain.headers['x-cache']).toBe('HIT');
    expect(aliceAgain.body).toEqual(alice.body);
    expect(aliceAgain.headers['cache-control']).toMatch(/^private, /);
    expect((await get('/items/mine').expect(200)).headers['x-cache']).toBeUndefined();
  });
});

@Controller('global')
@CacheTTL('30s')
class GlobalController {
  private runs = 0;

  @Get()
  cached(): { run: number } {
    return { run: (this.runs += 1) };
  }

  @Get('off')
  @NoCache()
  off(): { run: number } {
    return { run: (this.runs += 1) };
  }
}

/** Two controllers inheriting one handler, told apart by their class-level ttl. */
@Controller('short-lived')
@CacheTTL('5s')
class ShortLivedController extends GlobalController {}

describe('HttpCacheInterceptor bound globally with APP_INTERCEPTOR', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespace: uniqueNamespace('http-global'), l2: { redis: redisUrl() } })],
      controllers: [GlobalController, ShortLivedController],
      providers: [{ provide: APP_INTERCEPTOR, useClass: HttpCacheInterceptor }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('caches every GET but @NoCache handlers, with each controller’s own class-level ttl', async () => {
    const server = app.getHttpServer();
    await request(server).get('/global').expect(200);
    expect((await request(server).get('/global').expect(200)).headers['cache-control']).toMatch(/max-age=30\b/);
    expect((await request(server).get('/short-lived').expect(200)).headers['cache-control']).toMatch(/max-age=5\b/);
    const off = await request(server).get('/global/off').expect(200);
    expect(off.headers['x-cache']).toBeUndefined();
    expect((await request(server).post('/global').expect(404)).headers['x-cache']).toBeUndefined();
  });
});
