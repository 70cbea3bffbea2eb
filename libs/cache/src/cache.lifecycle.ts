import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CacheEngine } from './engine/cache.engine.js';
import { INVALIDATION_BUS, type InvalidationBus } from './invalidation/invalidation-bus.js';
import { PendingInvalidations } from './invalidation/pending-invalidations.js';
import { RedisInvalidationBus } from './invalidation/redis-invalidation.bus.js';
import { CacheConnections } from './stores/cache-connections.js';

/** How long shutdown spends on each last attempt: invalidations waiting for Redis, then the bus. */
const FINAL_ATTEMPT_TIMEOUT = 2_000;

/** Starts the connections and the bus at init; at shutdown, makes last attempts and closes them. */
@Injectable()
export class CacheLifecycle implements OnModuleInit {
  constructor(
    private readonly connections: CacheConnections,
    private readonly engine: CacheEngine,
    private readonly pending: PendingInvalidations,
    @Inject(INVALIDATION_BUS) private readonly bus: InvalidationBus,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.connections.awaitReady();
    if (this.bus instanceof RedisInvalidationBus) await this.bus.start();
  }

  /**
   * Called by `CacheModule` once every other shutdown hook that may use the cache has run (write-behind's
   * flush included): one bounded attempt to apply what waits for Redis, then to publish it, logging what
   * is dropped; connections close last.
   */
  async close(): Promise<void> {
    await this.pending.close(FINAL_ATTEMPT_TIMEOUT);
    if (this.bus instanceof RedisInvalidationBus) await this.bus.close(FINAL_ATTEMPT_TIMEOUT);
    this.engine.shutdown();
    await this.connections.close();
  }
}
