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

const READY_TIMEOUT = 3_000;

/** The Redis connections of one module: L2 commands and the bus subscriber. Owned ones close on shutdown. */
@Injectable()
export class CacheConnections {
  private readonly logger = new Logger('TieredCache');
  private readonly l2Connection: ManagedConnection | undefined;
  private readonly subscriberConnection: ManagedConnection | undefined;

  constructor(@Inject(CACHE_OPTIONS) options: ResolvedCacheOptions) {
    if (!options.l2) return;
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

  /** Waits (bounded) for Redis; when it does not answer, logs one warning and the app runs on L1. */
  async awaitReady(): Promise<void> {
    if (!this.l2Connection) return;
    const ready = await awaitReady(this.l2Connection.client, READY_TIMEOUT);
    await requireRedisVersion(this.l2Connection.client, ready, this.logger);
    if (!ready) this.logger.warn('Redis did not answer at startup; running on L1 and loaders until it does');
  }

  /** Closes the connections this module opened; ones passed in by the application stay open. */
  async close(): Promise<void> {
    await Promise.all([this.subscriberConnection, this.l2Connection].map((connection) => connection && closeConnection(connection)));
  }
}
