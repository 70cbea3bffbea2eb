import { randomBytes } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import type { CacheService } from '../cache.service.js';
import { withTimeout } from '../timing/with-timeout.js';
import type { WarmLock } from './warm-lock.js';
import type { Warmer } from './warmer.interface.js';
import { OperationTimeoutError, errorMessage } from '../cache.errors.js';

/** A registered warmer, its options resolved. */
export interface ScheduledWarmer {
  name: string;
  instance: Warmer;
  timeout: number;
}

const WAIT_POLL = 100;
const TICK_KEY_FLOOR = 60_000;
/** The running lock lives this long unless renewed: how long a crashed instance blocks its warmer. */
const RUNNING_LOCK_TTL = 10_000;
const RENEW_EVERY = 3_000;

/**
 * Runs warm cycles: one at a time per warmer across all instances (a Redis lock, renewed while the cycle
 * runs), a cron tick once in total (claimed by its scheduled instant), inside `refreshing` so decorated
 * calls rewrite the cache. A cycle past its timeout is aborted through the `AbortSignal` given to
 * `warm(signal)`; no other cycle of that warmer starts, here or elsewhere, until it has returned.
 * A failing or slow warmer is logged, never fatal.
 */
export class WarmCycles {
  private readonly owner = randomBytes(6).toString('base64url');
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly cache: CacheService,
    private readonly lock: WarmLock,
    private readonly logger: Logger,
  ) {}

  /**
   * The startup cycle: runs, or waits for the instance already running it; either way returns by the
   * warmer's timeout (an overrunning cycle goes on in the background, aborted).
   */
  async onStartup(warmer: ScheduledWarmer): Promise<void> {
    const deadline = Date.now() + warmer.timeout;
    for (;;) {
      const cycle = await this.tryStart(warmer);
      if (cycle) {
        await withTimeout(cycle.done, Math.max(0, deadline - Date.now()), 'startup warm overran').catch(() => undefined);
        return;
      }
      if (Date.now() >= deadline) return this.logger.warn(`Warmer ${warmer.name}: another cycle is still running; not waiting longer`);
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL));
    }
  }

  /** A cron tick scheduled at `scheduledAt` (epoch ms): only the first instance to claim it runs it. */
  async onTick(warmer: ScheduledWarmer, scheduledAt: number): Promise<void> {
    if (this.running.has(warmer.name)) {
      return this.logger.warn(`Warmer ${warmer.name}: tick ${new Date(scheduledAt).toISOString()} skipped; the previous cycle is still running`);
    }
    if (!(await this.lock.claimTick(warmer.name, scheduledAt, Math.max(TICK_KEY_FLOOR, warmer.timeout)))) return;
    await (await this.tryStart(warmer))?.done;
  }

  /** Aborts every running cycle (application shutdown). */
  abortAll(): void {
    for (const controller of this.running.values()) controller.abort(new Error('the application is shutting down'));
  }

  /** Starts a cycle unless one of this warmer is running anywhere; the running cycle, or `undefined`. */
  // NOTE: the cycle is wrapped ({ done }) because an async function returning a Promise would wait for it.
  private async tryStart(warmer: ScheduledWarmer): Promise<{ done: Promise<void> } | undefined> {
    if (this.running.has(warmer.name)) return undefined;
    const token = `${this.owner}:${Date.now()}`;
    if (!(await this.lock.acquire(warmer.name, token, RUNNING_LOCK_TTL))) return undefined;
    if (this.running.has(warmer.name)) {
      await this.lock.release(warmer.name, token);
      return undefined;
    }
    const controller = new AbortController();
    this.running.set(warmer.name, controller);
    return { done: this.run(warmer, controller, token) };
  }

  private async run(warmer: ScheduledWarmer, controller: AbortController, token: string): Promise<void> {
    const renewal = setInterval(() => void this.lock.renew(warmer.name, token, RUNNING_LOCK_TTL), RENEW_EVERY);
    const deadline = setTimeout(() => this.abortOverrun(warmer, controller), warmer.timeout);
    const started = process.hrtime.bigint();
    try {
      await this.cache.refreshing(() => warmer.instance.warm(controller.signal));
    } catch (error) {
      this.logger.error(`Warmer ${warmer.name} failed: ${errorMessage(error)}`);
    } finally {
      clearTimeout(deadline);
      clearInterval(renewal);
      this.running.delete(warmer.name);
      this.cache.stats.recordWarm(warmer.name, Number(process.hrtime.bigint() - started) / 1e9);
      await this.lock.release(warmer.name, token);
    }
  }

  private abortOverrun(warmer: ScheduledWarmer, controller: AbortController): void {
    controller.abort(new OperationTimeoutError(`Warmer ${warmer.name} did not finish within ${warmer.timeout}ms`));
    this.logger.error(
      `Warmer ${warmer.name} did not finish within ${warmer.timeout}ms: its signal is aborted; no cycle of it starts until warm() returns`,
    );
  }
}
