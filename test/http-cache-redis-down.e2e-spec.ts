import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CacheModule } from '../libs/cache/src/index.js';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.js';
import { Calls, ItemsController } from './support/http-cache-items.controller.js';
import { uniqueNamespace } from './support/test-redis.js';

describe('HttpCacheInterceptor when Redis is stalled or gone', () => {
  let server: RedisServerHandle;
  let app: INestApplication;
  let calls: Calls;

  beforeAll(async () => {
    server = await startRedisServer();
    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheModule.forRoot({
          namespace: uniqueNamespace('http-down'),
          defaultTtl: '1m',
          l2: { redis: server.url, commandTimeout: 200, breakerThreshold: 3, breakerCooldown: 300 },
        }),
      ],
      controllers: [ItemsController],
      providers: [Calls],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    calls = app.get(Calls);
  });

  afterAll(async () => {
    await app?.close();
    server.signal('SIGCONT');
    await server?.stop();
  });

  it('serves L1 hits and runs handlers on misses, never an error', async () => {
    const cached = await request(app.getHttpServer()).get('/items/value').expect(200);
    server.signal('SIGSTOP');
    const hit = await request(app.getHttpServer()).get('/items/value').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.body).toEqual(cached.body);
    const started = Date.now();
    const miss = await request(app.getHttpServer()).get('/items/tagged/5').expect(200);
    process.stdout.write(`HTTP miss with Redis stalled answered in ${Date.now() - started} ms\n`);
    expect(miss.body).toEqual({ id: '5', run: 1 });
    await server.crash();
    for (let round = 0; round < 5; round += 1) await request(app.getHttpServer()).get(`/items/tagged/${6 + round}`).expect(200);
    expect((await request(app.getHttpServer()).get('/items/value').expect(200)).headers['x-cache']).toBe('HIT');
    expect(calls.of('value')).toBe(1);
  });
});
