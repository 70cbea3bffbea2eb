import { Logger, type Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheModule, CacheService, type CacheModuleOptions } from 'nestjs-tiered-cache';
import type { CacheApp } from '../../support/cache-app.factory.js';

/**
 * Cache "instances" of one scenario, closed together. Nest logs are off (a stalled Redis makes the
 * library log on every call); set FAULTS_VERBOSE=1 to see them.
 */
export class FaultApps {
  private readonly apps: CacheApp[] = [];

  constructor() {
    if (!process.env.FAULTS_VERBOSE) Logger.overrideLogger(false);
  }

  /** Boots an application context with `CacheModule.forRoot(options)` and `providers` (e.g. decorated services). */
  async start(options: CacheModuleOptions, providers: Provider[] = []): Promise<CacheApp> {
    const moduleRef = await Test.createTestingModule({ imports: [CacheModule.forRoot(options)], providers }).compile();
    const app = await moduleRef.init();
    const started: CacheApp = { app, cache: app.get(CacheService), close: () => app.close() };
    this.apps.push(started);
    return started;
  }

  /** Closes every instance; a close that fails (Redis gone) is not the scenario's result. */
  async closeAll(): Promise<void> {
    await Promise.all(this.apps.splice(0).map((app) => app.close().catch(() => undefined)));
  }
}
