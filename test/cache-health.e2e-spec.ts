import { Controller, Get, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { CacheHealthIndicator, CacheModule } from 'nestjs-tiered-cache';
import request from 'supertest';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { uniqueNamespace, waitFor } from './support/test-redis.js';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly cache: CacheHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.cache.isHealthy('cache', { timeout: 300 })]);
  }

  @Get('strict')
  @HealthCheck()
  strict() {
    return this.health.check([() => this.cache.isHealthy('cache', { timeout: 300, whenRedisDown: 'down' })]);
  }
}

describe('CacheHealthIndicator with Terminus', () => {
  let server: RedisServerHandle;
  let proxy: TcpProxy;
  let app: INestApplication;

  beforeAll(async () => {
    server = await startRedisServer();
    proxy = await startTcpProxy(server.port);
    const moduleRef = await Test.createTestingModule({
      imports: [TerminusModule, CacheModule.forRoot({ namespace: uniqueNamespace(), l2: { redis: proxy.url } })],
      controllers: [HealthController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(async () => {
    await app?.close();
    await proxy?.close();
    await server?.stop();
  });

  it('is up while Redis answers, with its latency', async () => {
    const response = await request(app.getHttpServer()).get('/health').expect(200);
    expect(response.body).toMatchObject({ status: 'ok', info: { cache: { status: 'up', l2: 'up', pendingInvalidations: false } } });
    expect(response.body.info.cache.latencyMs).toEqual(expect.any(Number));
  });

  it('is degraded (still 200) when Redis is unreachable, or down (503) when asked to', async () => {
    proxy.cut();
    const degraded = await request(app.getHttpServer()).get('/health').expect(200);
    expect(JSON.stringify(degraded.body)).toContain('"status":"degraded"');
    expect(JSON.stringify(degraded.body)).toContain('unreachable');
    await request(app.getHttpServer()).get('/health/strict').expect(503);

    proxy.restore();
    await waitFor(async () => (await request(app.getHttpServer()).get('/health')).body.status === 'ok', { timeout: 10_000, interval: 100 });
  });
});
