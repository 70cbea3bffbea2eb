import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { CACHE_SERVICE } from '../cache.constants.js';
import type { CacheService } from '../cache.service.js';
import { WriteBehindQueue } from '../write-behind/write-behind.queue.js';
import { CacheDecoratorError, operationsOf, type CacheOperation } from './cache-operation.js';

/**
 * At init, finds every provider and controller with cache decorators and compiles their options, so a
 * misconfiguration fails startup naming the class and method. Nest injects each instance's caches; this
 * checks that every singleton got the ones it uses, and binds those of this module's cache (write-behind
 * writers). Every `CacheModule` of the application runs it; compiling is done once.
 */
@Injectable()
export class CacheDecoratorsExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(CACHE_SERVICE) private readonly cache: CacheService,
    private readonly writeBehind: WriteBehindQueue,
  ) {}

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance: unknown = wrapper.instance;
      const prototype = isObject(instance) ? (Object.getPrototypeOf(instance) as object) : classPrototype(wrapper.metatype);
      if (prototype === undefined) continue;
      const operations = operationsOf(prototype);
      for (const operation of operations) operation.compile();
      if (operations.length === 0 || !wrapper.isDependencyTreeStatic() || wrapper.isTransient || !isObject(instance)) continue;
      for (const operation of operations) this.bind(wrapper, instance, operation);
    }
  }

  // NOTE: only a decorator without `cache:` can find its cache missing (a named one is a required
  // dependency, which Nest checks); request-scoped and transient instances then run uncached and warn.
  private bind(wrapper: InstanceWrapper, instance: object, operation: CacheOperation): void {
    const cache = (instance as Record<symbol, CacheService | undefined>)[operation.site.cacheProperty];
    if (cache === undefined) {
      throw new CacheDecoratorError(
        operation.location,
        `no cache '${operation.site.cache}' is visible to ${String(wrapper.name)} in module ${wrapper.host?.name ?? '?'}: import CacheModule.forRoot() (or the module exporting it) there, or register it with isGlobal: true`,
      );
    }
    if (cache === this.cache) operation.bind?.(instance, { cache, writeBehind: this.writeBehind });
  }
}

function classPrototype(metatype: unknown): object | undefined {
  return typeof metatype === 'function' && isObject(metatype.prototype) ? (metatype.prototype as object) : undefined;
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}
