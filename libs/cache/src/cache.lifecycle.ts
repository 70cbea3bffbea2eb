import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { CacheService } from './cache.service.js';
import { INVALIDATION_BUS, type InvalidationBus } from './invalidation/invalidation-bus.js';
import { RedisInvalidationBus } from './invalidation/redis-invalidation.bus.js';
import { CacheConnections } from './stores/cache-connections.js';

/** Starts the connections and the bus at init; flushes and closes them at shutdown. */
@Injectable()
export class CacheLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly connections: CacheConnections,
    private readonly cache: CacheService,
    @Inject(INVALIDATION_BUS) private readonly bus: InvalidationBus,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.connections.awaitReady();
    if (this.bus instanceof RedisInvalidationBus) await this.bus.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.cache.shutdown();
    if (this.bus instanceof RedisInvalidationBus) {
      await this.bus.close(2_000);
    }
    await this.connections.close();
  }
}
