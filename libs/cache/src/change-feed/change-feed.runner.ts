import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { Client } from 'pg';
import { CACHE_OPTIONS, CACHE_SERVICE } from '../cache.constants.js';
import type { CacheService } from '../cache.service.js';
import { INVALIDATION_BUS, type InvalidationBus } from '../invalidation/invalidation-bus.js';
import type { ResolvedCacheOptions } from '../options/resolved-options.interface.js';
import { withTimeout } from '../timing/with-timeout.js';
import { CacheStats } from '../stats/cache-stats.js';
import { ChangeFeedSession } from './change-feed.session.js';
import { dropLostSlot, dropSlot, prepareChangeFeed, slotLag, type TableName } from './change-feed.setup.js';
import { ChangeFeedStats } from './change-feed.stats.js';
import { discoverTableHandlers } from './table-change.discovery.js';
import { TableChangeDispatcher } from './table-change.dispatcher.js';
import { loadPg, type PgModule } from './pg.loader.js';
import { PeriodicTask } from '../timing/periodic-task.js';
import { ChangeFeedSetupError, errorMessage } from '../cache.errors.js';

type FeedOptions = NonNullable<ResolvedCacheOptions['changeFeed']>;

/** Longest shutdown waits for the transaction being delivered. */
const SHUTDOWN_WAIT = 2_000;

/** SQLSTATE `object_in_use`: the slot is held by another connection. */
const SLOT_IN_USE = '55006';
/** SQLSTATE `undefined_object`: the slot does not exist (dropped while the feed ran). */
const SLOT_MISSING = '42704';
/** SQLSTATE `object_not_in_prerequisite_state`, e.g. a slot invalidated past `max_slot_wal_keep_size`. */
const SLOT_UNUSABLE = '55000';

/**
 * Runs the PostgreSQL change feed when `changeFeed` is configured (otherwise it does nothing, and `pg` is
 * never loaded): prepares the database at bootstrap (a setup problem fails startup), then holds the slot
 * or stands by, retrying every `retryInterval` until the slot is free, and reconnects after a lost
 * connection. Polls the slot's lag for stats, metrics and health.
 */
@Injectable()
export class ChangeFeedRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChangeFeed');
  private readonly options: FeedOptions | undefined;
  private dispatcher: TableChangeDispatcher | undefined;
  private session: ChangeFeedSession | undefined;
  private client: Client | undefined;
  private loop: Promise<void> | undefined;
  private lagPolls: PeriodicTask | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;
  private problem: 'standby' | 'lost' | undefined;
  /** The feed's counters; `undefined` when the feed is off. */
  readonly stats: ChangeFeedStats | undefined;

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(CACHE_SERVICE) private readonly cache: CacheService,
    @Inject(INVALIDATION_BUS) private readonly bus: InvalidationBus,
    cacheStats: CacheStats,
    @Inject(CACHE_OPTIONS) options: ResolvedCacheOptions,
  ) {
    this.options = options.changeFeed;
    if (!this.options) return;
    this.stats = new ChangeFeedStats();
    cacheStats.changeFeed = this.stats;
  }

  async onApplicationBootstrap(): Promise<void> {
    const options = this.options;
    if (!options || !this.stats) return;
    const handlers = discoverTableHandlers(this.discovery);
    if (handlers.size === 0) {
      this.logger.warn('changeFeed is configured but no @OnTableChange handler was found; the feed is not started');
      return;
    }
    const pg = await loadPg();
    const tables = tableNames(handlers);
    const prepare = (): Promise<boolean> =>
      withClient(pg, options.postgres, async (client) => {
        await dropLostSlot(client, options.slot);
        return prepareChangeFeed(client, options.slot, options.publication, tables);
      });
    await prepare().catch((error: unknown) => {
      if (error instanceof ChangeFeedSetupError) throw error;
      throw new ChangeFeedSetupError(`preparing the database at changeFeed.postgres failed: ${errorMessage(error)}`);
    });
    this.dispatcher = new TableChangeDispatcher(handlers, this.cache, this.bus, this.stats, this.logger);
    this.loop = this.run(pg, options, this.dispatcher, prepare);
    // NOTE: one poll at a time, each bounded: a stalled server must not collect a connection per interval.
    this.lagPolls = new PeriodicTask(options.lagInterval, () => this.pollLag(pg, options));
    this.lagPolls.start(true);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.lagPolls?.stop();
    this.dispatcher?.stop();
    this.session?.stop();
    this.wake?.();
    await this.client?.end().catch(() => undefined);
    // NOTE: a delivery stuck on a stalled Redis must not hold up shutdown; it stays unconfirmed (replayed).
    await withTimeout(this.loop ?? Promise.resolve(), SHUTDOWN_WAIT, 'change feed shutdown').catch(() =>
      this.logger.warn(`Change feed still delivering after ${SHUTDOWN_WAIT}ms; left unconfirmed, to be replayed`),
    );
  }

  private async run(pg: PgModule, options: FeedOptions, dispatcher: TableChangeDispatcher, prepare: () => Promise<boolean>): Promise<void> {
    while (!this.stopped) {
      const error = await this.attempt(pg, options, dispatcher);
      if (this.stopped) return;
      const code = (error as { code?: string } | undefined)?.code;
      if ((code === SLOT_MISSING || code === SLOT_UNUSABLE) && (await this.recreateSlot(options.slot, prepare))) continue;
      const problem = code === SLOT_IN_USE ? 'standby' : 'lost';
      if (problem === 'lost') this.stats!.recordError('connection');
      if (problem !== this.problem) this.logProblem(problem, options, error);
      this.problem = problem;
      await this.sleep(options.retryInterval);
    }
  }

  // NOTE: one line when the state changes, not one per retry.
  private logProblem(problem: 'standby' | 'lost', options: FeedOptions, error: Error | undefined): void {
    if (problem === 'standby') return this.logger.log(`Slot ${options.slot} is held by another instance; standing by`);
    this.logger.warn(`Change feed connection lost (${error?.message ?? 'closed by the server'}); retrying every ${options.retryInterval}ms`);
  }

  /**
   * After the slot was found missing or unusable: recreates it (dropping it first if PostgreSQL
   * invalidated it); `true` if this instance created it, and then cleared the namespace.
   */
  // NOTE: the changes made while the slot was missing (or lost) are unknown: a full clear is the only safe answer.
  private async recreateSlot(slot: string, prepare: () => Promise<boolean>): Promise<boolean> {
    const created = await prepare().catch((error: unknown) => {
      this.logger.error(`Replication slot ${slot} is unusable and could not be recreated: ${(error as Error).message}`);
      return false;
    });
    if (!created) return false;
    this.stats!.recordError('slot_lost');
    this.logger.warn(`Replication slot ${slot} was dropped or invalidated; recreated it and cleared the cache namespace (changes in between are unknown)`);
    await this.cache.clear();
    return true;
  }

  /** One replication connection, from connect to its end; resolves with what ended it. */
  private async attempt(pg: PgModule, options: FeedOptions, dispatcher: TableChangeDispatcher): Promise<Error | undefined> {
    const client = new pg.Client({ ...connectionConfig(options.postgres), replication: 'database' } as ConstructorParameters<PgModule['Client']>[0]);
    this.client = client;
    client.on('error', () => undefined);
    try {
      await client.connect();
      const session = new ChangeFeedSession(client, options, (changes, overflowed) => dispatcher.deliver(changes, overflowed));
      this.session = session;
      return await session.run(() => {
        this.stats!.role = 'active';
        this.problem = undefined;
        this.logger.log(`Holding replication slot ${options.slot}: invalidating on changes of the published tables`);
      });
    } catch (error) {
      return error as Error;
    } finally {
      this.stats!.role = 'standby';
      this.session = undefined;
      await client.end().catch(() => undefined);
    }
  }

  private sleep(milliseconds: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, milliseconds);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async pollLag(pg: PgModule, options: FeedOptions): Promise<void> {
    try {
      const lag = await withClient(pg, options.postgres, (client) => slotLag(client, options.slot), options.lagInterval);
      if (!lag) return;
      this.stats!.recordLag(lag.bytes, lag.confirmed);
      if (options.maxLagBytes !== undefined && lag.bytes > options.maxLagBytes) await this.dropLaggingSlot(pg, options, lag.bytes);
    } catch {
      this.stats!.recordError('lag_query');
    }
  }

  // NOTE: whoever runs the feed next finds the slot missing, recreates it and clears the namespace.
  private async dropLaggingSlot(pg: PgModule, options: FeedOptions, bytes: number): Promise<void> {
    if (!(await withClient(pg, options.postgres, (client) => dropSlot(client, options.slot)))) return;
    this.stats!.recordError('lag_exceeded');
    this.logger.warn(`Replication slot ${options.slot} held back ${bytes} bytes of WAL (maxLagBytes ${options.maxLagBytes}): dropped it`);
  }
}

/** Runs `use` on a connection of its own; `timeout` (ms) bounds the connect and each query unless `postgres` sets its own. */
async function withClient<T>(pg: PgModule, postgres: FeedOptions['postgres'], use: (client: Client) => Promise<T>, timeout?: number): Promise<T> {
  const bounds = timeout === undefined ? {} : { connectionTimeoutMillis: timeout, query_timeout: timeout };
  const client = new pg.Client({ ...bounds, ...connectionConfig(postgres) });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function connectionConfig(postgres: FeedOptions['postgres']): Record<string, unknown> {
  return typeof postgres === 'string' ? { connectionString: postgres } : { ...postgres };
}

function tableNames(handlers: ReadonlyMap<string, unknown>): TableName[] {
  return [...handlers.keys()].map((qualified) => {
    const dot = qualified.indexOf('.');
    return { schema: qualified.slice(0, dot), table: qualified.slice(dot + 1) };
  });
}
