import { jest } from '@jest/globals';
import { Injectable, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheModule, Cacheable } from 'nestjs-tiered-cache';
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
});
