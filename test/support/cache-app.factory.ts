import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheModule, CacheService, type CacheModuleOptions } from 'nestjs-tiered-cache';

/** A running Nest application context with the cache module, as one "instance" of a service. */
export interface CacheApp {
  app: INestApplicationContext;
  cache: CacheService;
  close(): Promise<void>;
}

/** Boots a Nest application context with `CacheModule.forRoot(options)` and returns its CacheService. */
export async function startCacheApp(options: CacheModuleOptions): Promise<CacheApp> {
  const moduleRef = await Test.createTestingModule({ imports: [CacheModule.forRoot(options)] }).compile();
  const app = await moduleRef.init();
  const cache = app.get(CacheService);
  return { app, cache, close: () => app.close() };
}
