import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { CronJob } from 'cron';
import { L2_STORE } from '../cache.constants.js';
import { CacheService } from '../cache.service.js';
import { CacheDecoratorError } from '../decorators/cache-operation.js';
import { parseDuration } from '../options/duration.parser.js';
import { loadOptionalPeer, loadedPeer } from '../peers/optional-peer.loader.js';
import type { RedisStore } from '../stores/redis.store.js';
import { warmerOptionsOf, type CacheWarmerOptions } from './cache-warmer.decorator.js';
import { WarmCycles, type ScheduledWarmer } from './warm-cycle.js';
import type { Warmer } from './warmer.interface.js';

const DEFAULT_TIMEOUT = '30s';

/**
 * Finds `@CacheWarmer` providers at bootstrap, validates them (a bad cron or a missing `warm()` fails
 * startup, naming the warmer), runs the startup warms before `app.init()` resolves, then starts their
 * cron jobs (the `cron` package that `@nestjs/schedule` uses, so `ScheduleModule` is not required and
 * does not conflict). Jobs stop at shutdown.
 */
@Injectable()
export class CacheWarmersRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CacheWarmers');
  private readonly jobs: CronJob[] = [];
  private readonly cycles: WarmCycles;

  constructor(
    private readonly discovery: DiscoveryService,
    cache: CacheService,
    @Inject(L2_STORE) l2: RedisStore | null,
  ) {
    this.cycles = new WarmCycles(cache, l2, this.logger);
  }

  async onApplicationBootstrap(): Promise<void> {
    const warmers = this.discover();
    if (warmers.some(({ options }) => options.cron !== undefined)) await loadOptionalPeer('cron', '@CacheWarmer({ cron })');
    const jobs = warmers.map(({ warmer, options }) => (options.cron === undefined ? undefined : this.job(warmer, options.cron)));
    await Promise.all(warmers.filter(({ options }) => options.runOnStartup).map(({ warmer }) => this.cycles.onStartup(warmer)));
    for (const job of jobs) {
      if (!job) continue;
      job.start();
      this.jobs.push(job);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.jobs.splice(0).map((job) => job.stop()));
  }

  private discover(): { warmer: ScheduledWarmer; options: CacheWarmerOptions }[] {
    return this.discovery.getProviders().flatMap((wrapper) => {
      const options = warmerOptionsOf(wrapper.metatype);
      if (options === undefined || !wrapper.isDependencyTreeStatic()) return [];
      const name = options.name ?? (wrapper.metatype as { name: string }).name;
      const instance = wrapper.instance as Partial<Warmer> | undefined;
      if (typeof instance?.warm !== 'function') throw new CacheDecoratorError(name, '@CacheWarmer needs a warm(): Promise<void> method');
      const timeout = parseDuration(options.timeout ?? DEFAULT_TIMEOUT, `${name} timeout`);
      return [{ warmer: { name, instance: instance as Warmer, timeout }, options }];
    });
  }

  private job(warmer: ScheduledWarmer, cron: string): CronJob {
    try {
      return loadedPeer<typeof import('cron')>('cron').CronJob.from({
        cronTime: cron,
        onTick: () => this.cycles.onTick(warmer, Math.round(Date.now() / 1_000)),
        start: false,
        waitForCompletion: true,
        errorHandler: (error) => this.logger.error(`Warmer ${warmer.name} tick failed: ${String(error)}`),
      });
    } catch (error) {
      throw new CacheDecoratorError(warmer.name, `invalid cron '${cron}': ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
