import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { CACHE_NAME, CACHE_OPTIONS, CACHE_SERVICE } from '../cache.constants.js';
import { DEFAULT_CACHE_NAME } from '../options/cache-name.js';
import type { CacheService } from '../cache.service.js';
import { registeredCacheNames } from '../cache.tokens.js';
import { CacheDecoratorError, errorMessage } from '../cache.errors.js';
import { DecoratorOptionsGuard } from '../decorators/decorator-options.guard.js';
import { parseDuration } from '../options/duration.parser.js';
import type { ResolvedCacheOptions } from '../options/resolved-options.interface.js';
import { loadOptionalPeer } from '../peers/optional-peer.loader.js';
import { CacheConnections } from '../stores/cache-connections.js';
import { RedisKeyLayout } from '../stores/redis-key.layout.js';
import { warmerOptionsOf, type CacheWarmerOptions } from './cache-warmer.decorator.js';
import { WarmCycles, type ScheduledWarmer } from './warm-cycle.js';
import { WarmLock } from './warm-lock.js';
import type { WarmSchedule } from './warm-schedule.js';
import type { Warmer } from './warmer.interface.js';

const DEFAULT_TIMEOUT = '30s';
const ALLOWED_OPTIONS = ['cron', 'runOnStartup', 'timeout', 'name', 'cache'];

/**
 * Finds `@CacheWarmer` providers at bootstrap, validates them (a bad option or cron, a missing `warm()`
 * or two warmers of one name fail startup, naming the warmer), runs the startup warms before
 * `app.init()` resolves, then starts their cron schedules (parsed by the `cron` package that
 * `@nestjs/schedule` uses, so `ScheduleModule` is not required and does not conflict). Schedules stop
 * and running cycles are aborted at shutdown.
 */
@Injectable()
export class CacheWarmersRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CacheWarmers');
  private readonly schedules: WarmSchedule[] = [];
  private readonly cycles: WarmCycles;

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(CACHE_NAME) private readonly cacheName: string,
    @Inject(CACHE_SERVICE) cache: CacheService,
    connections: CacheConnections,
    @Inject(CACHE_OPTIONS) options: ResolvedCacheOptions,
  ) {
    const lock = new WarmLock(connections.l2, new RedisKeyLayout(options.namespace), options.l2 ? options.l2.commandTimeout : 0);
    this.cycles = new WarmCycles(cache, lock, this.logger);
  }

  async onApplicationBootstrap(): Promise<void> {
    const warmers = this.discover();
    const Schedule = warmers.some(({ options }) => options.cron !== undefined) ? await loadWarmSchedule() : undefined;
    const schedules = warmers.flatMap(({ warmer, options }) =>
      options.cron === undefined || Schedule === undefined ? [] : [this.schedule(Schedule, warmer, options.cron)],
    );
    await Promise.all(warmers.filter(({ options }) => options.runOnStartup === true).map(({ warmer }) => this.cycles.onStartup(warmer)));
    for (const schedule of schedules) {
      schedule.start();
      this.schedules.push(schedule);
    }
  }

  onApplicationShutdown(): void {
    for (const schedule of this.schedules.splice(0)) schedule.stop();
    this.cycles.abortAll();
  }

  // NOTE: every cache's runner validates every warmer; each runs only those naming its cache.
  private discover(): { warmer: ScheduledWarmer; options: CacheWarmerOptions }[] {
    const names = new Set<string>();
    const caches = registeredCacheNames(this.discovery);
    return this.discovery.getProviders().flatMap((wrapper) => {
      const options = warmerOptionsOf(wrapper.metatype);
      if (options === undefined || !wrapper.isDependencyTreeStatic()) return [];
      const className = (wrapper.metatype as { name: string }).name;
      const warmer = this.resolve(className, options, wrapper.instance as Partial<Warmer> | undefined);
      const cache = options.cache ?? DEFAULT_CACHE_NAME;
      if (!caches.has(cache)) throw new CacheDecoratorError(warmer.name, `@CacheWarmer names cache '${String(cache)}', which no CacheModule.forRoot({ name }) registers`);
      if (cache !== this.cacheName) return [];
      if (names.has(warmer.name)) throw new CacheDecoratorError(warmer.name, 'two @CacheWarmer providers have this name; give each its own `name`');
      names.add(warmer.name);
      return [{ warmer, options }];
    });
  }

  private resolve(className: string, options: CacheWarmerOptions, instance: Partial<Warmer> | undefined): ScheduledWarmer {
    const guard = new DecoratorOptionsGuard(className, '@CacheWarmer');
    guard.shape(options, ALLOWED_OPTIONS);
    guard.optionalBoolean(options.runOnStartup, 'runOnStartup');
    if (options.cron !== undefined && typeof options.cron !== 'string') throw guard.typeError('cron', 'a cron expression string');
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) throw guard.typeError('name', 'a non-empty string');
    const name = options.name ?? className;
    if (typeof instance?.warm !== 'function') throw new CacheDecoratorError(name, '@CacheWarmer needs a warm(signal): Promise<void> method');
    return { name, instance: instance as Warmer, timeout: warmerTimeout(name, options.timeout ?? DEFAULT_TIMEOUT) };
  }

  private schedule(Schedule: typeof WarmSchedule, warmer: ScheduledWarmer, cron: string): WarmSchedule {
    const onTick = (scheduledAt: number): void => {
      this.cycles.onTick(warmer, scheduledAt).catch((error: unknown) => this.logger.error(`Warmer ${warmer.name} tick failed: ${String(error)}`));
    };
    try {
      return new Schedule(cron, onTick);
    } catch (error) {
      throw new CacheDecoratorError(warmer.name, `invalid cron '${cron}': ${errorMessage(error)}`);
    }
  }
}

function warmerTimeout(name: string, value: unknown): number {
  try {
    const timeout = parseDuration(value, 'timeout');
    if (timeout > 0) return timeout;
  } catch (error) {
    throw new CacheDecoratorError(name, (error as Error).message);
  }
  throw new CacheDecoratorError(name, "@CacheWarmer option 'timeout' must be greater than zero");
}

// NOTE: the `cron` package (and the schedule importing it) load only when a warmer has a cron expression.
async function loadWarmSchedule(): Promise<typeof WarmSchedule> {
  await loadOptionalPeer('cron', '@CacheWarmer({ cron })');
  return (await import('./warm-schedule.js')).WarmSchedule;
}
