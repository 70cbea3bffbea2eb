import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { CACHE_OPTIONS } from '../cache.constants.js';
import type { ResolvedCacheOptions } from '../options/resolved-options.interface.js';
import {
  awaitReady,
  closeConnection,
  connectRedis,
  duplicateConnection,
  type ManagedConnection,
} from './redis-connection.factory.js';
import { requireRedisVersion } from './redis-version.check.js';
import { InvalidCacheOptionError } from '../cache.errors.js';

const READY_TIMEOUT = 3_000;

/** The Redis connections of one module: L2 commands and the bus subscriber. Owned ones close on shutdown. */
@Injectable()
export class CacheConnections {
  private readonly logger = new Logger('TieredCache');
  private readonly l2Connection: ManagedConnection | undefined;
  private readonly subscriberConnection: ManagedConnection | undefined;
  private readonly readyListeners: (() => void)[] = [];

  constructor(@Inject(CACHE_OPTIONS) options: ResolvedCacheOptions) {
    if (!options.l2) return;
    // NOTE: a subscribed connection can run nothing but pub/sub commands: sharing it would silently turn
    // every L2 call into an error.
    const busRedis = options.bus ? options.bus.redis : undefined;
    if (typeof busRedis === 'object' && busRedis === options.l2.redis) {
      throw new InvalidCacheOptionError('bus.redis', 'must not be the client passed as l2.redis (the bus subscribes on it); omit it to use a duplicate');
    }
    this.l2Connection = connectRedis(options.l2.redis, `${options.namespace}:cache`, this.logger);
    if (!options.bus) return;
    const busName = `${options.namespace}:bus`;
    this.subscriberConnection =
      options.bus.redis === undefined
        ? duplicateConnection(this.l2Connection.client, busName, this.logger)
        : connectRedis(options.bus.redis, busName, this.logger);
  }

  /** The L2 command connection, if L2 is on. */
  get l2(): Redis | Cluster | undefined {
    return this.l2Connection?.client;
  }

  /** The bus subscriber connection, if the bus is on. */
  get subscriber(): Redis | Cluster | undefined {
    return this.subscriberConnection?.client;
  }

  /** Waits (bounded) for Redis and the bus subscriber; when Redis does not answer, logs one warning and the app runs on L1. */
  async awaitReady(): Promise<void> {
    if (!this.l2Connection) return;
    const [ready] = await Promise.all(
      [this.l2Connection, this.subscriberConnection].map((connection) => connection && awaitReady(connection.client, READY_TIMEOUT)),
    );
    await requireRedisVersion(this.l2Connection.client, ready === true, this.logger);
    if (!ready) this.logger.warn('Redis did not answer at startup; running on L1 and loaders until it does');
  }

  /** Calls `listener` whenever the L2 connection is ready again (after a reconnect); removed by {@link close}. */
  onL2Ready(listener: () => void): void {
    const client = this.l2Connection?.client;
    if (!client) return;
    client.on('ready', listener);
    this.readyListeners.push(listener);
  }

  /**
   * Removes every listener the module added; closes the connections this module opened, while ones passed
   * in by the application stay open.
   */
  async close(): Promise<void> {
    for (const listener of this.readyListeners.splice(0)) this.l2Connection?.client.off('ready', listener);
    await Promise.all([this.subscriberConnection, this.l2Connection].map((connection) => connection && closeConnection(connection)));
  }
}
