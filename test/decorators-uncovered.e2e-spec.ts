import { jest } from '@jest/globals';
import { Controller, Get, Injectable, Logger, Param, UseInterceptors } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheKey, CacheModule, Cacheable, HttpCacheInterceptor } from 'nestjs-tiered-cache';
import request from 'supertest';
import { uniqueNamespace } from './support/test-redis.js';

@Injectable()
class UncoveredService {
  calls = 0;

  @Cacheable({ key: 'uncovered:{0}' })
  async find(id: string): Promise<string> {
    this.calls += 1;
    return id;
  }

  @Cacheable({ key: 'uncovered-other:{0}' })
  async other(id: string): Promise<string> {
    return id;
  }
}

@Injectable()
class CoveredService {
  @Cacheable({ key: 'covered:{0}' })
  async find(id: string): Promise<string> {
    return id;
  }
}

@Controller('uncovered')
class UncoveredController {
  calls = 0;

  @Get(':id')
  @UseInterceptors(HttpCacheInterceptor)
  @CacheKey('uncovered:{params.id}')
  find(@Param('id') id: string): { id: string; call: number } {
    this.calls += 1;
    return { id, call: this.calls };
  }
}

describe('a decorated class that no CacheModule covers', () => {
  let warn: jest.SpiedFunction<Logger['warn']>;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => warn.mockRestore());

  it('runs uncached and logs one warning naming the class', async () => {
    const moduleRef = await Test.createTestingModule({ providers: [UncoveredService] }).compile();
    await moduleRef.init();
    const service = moduleRef.get(UncoveredService);

    await service.find('1');
    await service.find('1');
    await service.other('1');
    await moduleRef.close();

    expect(service.calls).toBe(2);
    const warnings = warn.mock.calls.map(([message]) => String(message)).filter((message) => message.includes('UncoveredService'));
    expect(warnings).toEqual([expect.stringMatching(/^UncoveredService\.find runs uncached: no CacheModule covers UncoveredService; import CacheModule\.forRoot\(\)/)]);
  });

  it('logs nothing for a class a CacheModule covers, even after its application closed', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespace: uniqueNamespace(), l2: false })],
      providers: [CoveredService],
    }).compile();
    await moduleRef.init();
    const service = moduleRef.get(CoveredService);
    await service.find('1');
    await moduleRef.close();

    await service.find('2');

    expect(warn.mock.calls.filter(([message]) => String(message).includes('CoveredService'))).toEqual([]);
  });

  it('HttpCacheInterceptor passes requests through uncached and logs one warning naming the handler', async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [UncoveredController] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();

    const first = await request(app.getHttpServer()).get('/uncovered/7').expect(200);
    const second = await request(app.getHttpServer()).get('/uncovered/7').expect(200);
    await app.close();

    expect([first.body, second.body]).toEqual([{ id: '7', call: 1 }, { id: '7', call: 2 }]);
    expect(second.headers['x-cache']).toBeUndefined();
    const warnings = warn.mock.calls.map(([message]) => String(message)).filter((message) => message.includes('UncoveredController'));
    expect(warnings).toEqual(['UncoveredController.find runs uncached: no CacheModule in this application; import CacheModule.forRoot() to cache its responses']);
  });
});
