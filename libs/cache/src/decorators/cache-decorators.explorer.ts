import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { CacheEngine } from '../engine/cache.engine.js';
import { WriteBehindQueue } from '../write-behind/write-behind.queue.js';
import { bindClass, bindInstance, unbindClass } from './cache-binding.registry.js';
import { operationsOf } from './cache-operation.js';

/**
 * At init, finds every provider and controller with cache decorators, compiles their options (so a
 * misconfiguration fails startup, naming the class and method) and binds them to this application's cache
 * (one per application: a second `CacheModule` fails startup).
 */
@Injectable()
export class CacheDecoratorsExplorer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('TieredCache');
  private readonly boundClasses = new Set<object>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly engine: CacheEngine,
    private readonly writeBehind: WriteBehindQueue,
  ) {}

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance: unknown = wrapper.instance;
      const prototype = isObject(instance) ? (Object.getPrototypeOf(instance) as object) : classPrototype(wrapper.metatype);
      if (prototype === undefined) continue;
      const operations = operationsOf(prototype);
      if (operations.length === 0) continue;
      for (const operation of operations) operation.compile();
      const applications = bindClass(prototype, this.engine);
      this.boundClasses.add(prototype);
      if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient || !isObject(instance)) {
        if (applications > 1) this.warnUncached(wrapper.name, applications);
        continue;
      }
      bindInstance(instance, this.engine);
      for (const operation of operations) operation.bind?.(instance, { engine: this.engine, writeBehind: this.writeBehind });
    }
  }

  // NOTE: an instance Nest builds per request or per consumer cannot be told apart by application.
  private warnUncached(name: unknown, applications: number): void {
    this.logger.warn(
      `${String(name)} is request-scoped or transient and provided by ${applications} running applications in this process: ` +
        'its cache decorators run uncached until only one of them is running',
    );
  }

  onApplicationShutdown(): void {
    for (const prototype of this.boundClasses) unbindClass(prototype, this.engine);
    this.boundClasses.clear();
  }
}

function classPrototype(metatype: unknown): object | undefined {
  return typeof metatype === 'function' && isObject(metatype.prototype) ? (metatype.prototype as object) : undefined;
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}
