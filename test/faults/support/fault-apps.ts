import { Logger } from '@nestjs/common';
import type { CacheModuleOptions } from 'nestjs-tiered-cache';
import { startCacheApp, type CacheApp } from '../../support/cache-app.factory.js';

/**
 * Cache "instances" of one scenario, closed together. Nest logs are off (a stalled Redis makes the
 * library log on every call); set FAULTS_VERBOSE=1 to see them.
 */
export class FaultApps {
  private readonly apps: CacheApp[] = [];

  constructor() {
    if (!process.env.FAULTS_VERBOSE) Logger.overrideLogger(false);
  }

  async start(options: CacheModuleOptions): Promise<CacheApp> {
    const app = await startCacheApp(options);
    this.apps.push(app);
    return app;
  }

  /** Closes every instance; a close that fails (Redis gone) is not the scenario's result. */
  async closeAll(): Promise<void> {
    await Promise.all(this.apps.splice(0).map((app) => app.close().catch(() => undefined)));
  }
}
