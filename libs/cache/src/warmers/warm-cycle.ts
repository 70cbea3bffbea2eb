import { randomBytes } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import type { CacheService } from '../cache.service.js';
import type { RedisStore } from '../stores/redis.store.js';
import { withTimeout } from '../timing/with-timeout.js';
import type { Warmer } from './warmer.interface.js';

/** A registered warmer, its options resolved. */
export interface ScheduledWarmer {
  name: string;
  instance: Warmer;
  timeout: number;
}

const WAIT_POLL = 100;
const TICK_KEY_FLOOR = 60_000;

/**
 * Runs warm cycles: one instance at a time per warmer (a Redis lock), a cron tick once in total (a
 * per-tick key), inside `refreshing` so decorated calls rewrite the cache. A failing or slow warmer is
 * logged, never fatal.
 */
export class WarmCycles {
  private readonly owner = randomBytes(6).toString('base64url');

  constructor(
    private readonly cache: CacheService,
    private readonly l2: RedisStore | null,
    private readonly logger: Logger,
  ) {}

  /** The startup cycle: runs, or waits (bounded) for the instance already running it. */
  async onStartup(warmer: ScheduledWarmer): Promise<void> {
    const deadline = Date.now() + warmer.timeout;
    while (!(await this.tryRun(warmer))) {
      if (Date.now() >= deadline) return this.logger.warn(`Warmer ${warmer.name}: another instance is still warming; not waiting longer`);
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL));
    }
  }

  /** A cron tick: only the first instance to claim `tick` (the scheduled second) runs it. */
  async onTick(warmer: ScheduledWarmer, tick: number): Promise<void> {
    if (!(await this.claim(`warm:${warmer.name}:tick:${tick}`, Math.max(TICK_KEY_FLOOR, warmer.timeout)))) return;
    await this.tryRun(warmer);
  }

  /** Runs a cycle unless another instance is running one; `false` when it did not run. */
  private async tryRun(warmer: ScheduledWarmer): Promise<boolean> {
    const lock = `warm:${warmer.name}:running`;
    const token = `${this.owner}:${Date.now()}`;
    if (!(await this.claim(lock, warmer.timeout, token))) return false;
    const started = process.hrtime.bigint();
    try {
      await this.cache.refreshing(() => withTimeout(warmer.instance.warm(), warmer.timeout, `did not finish within ${warmer.timeout}ms`));
    } catch (error) {
      this.logger.error(`Warmer ${warmer.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.cache.stats.recordWarm(warmer.name, Number(process.hrtime.bigint() - started) / 1e9);
      await this.release(lock, token);
    }
    return true;
  }

  private async claim(key: string, ttl: number, token = this.owner): Promise<boolean> {
    if (!this.l2) return true;
    try {
      return await this.l2.takeLock(key, token, ttl, 'nx');
    } catch {
      // NOTE: without Redis no instance can coordinate; warming locally is better than not warming.
      return true;
    }
  }

  private async release(key: string, token: string): Promise<void> {
    await this.l2?.releaseLock(key, token).catch(() => undefined);
  }
}
