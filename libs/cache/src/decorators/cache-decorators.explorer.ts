import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { CACHE_NAME } from '../cache.constants.js';
import { CacheDecoratorError } from '../cache.errors.js';
import { CacheEngine } from '../engine/cache.engine.js';
import { registeredCacheNames } from '../cache.tokens.js';
import { decoratedCacheToken } from '../options/cache-name.js';
import { canSee } from './module-visibility.js';
import { WriteBehindQueue } from '../write-behind/write-behind.queue.js';
import { operationsOf, type CacheHolder, type CacheOperation } from './cache-operation.js';

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
    @Inject(CACHE_NAME) private readonly name: string,
    private readonly engine: CacheEngine,
    private readonly writeBehind: WriteBehindQueue,
  ) {}

  onModuleInit(): void {
    const caches = registeredCacheNames(this.discovery);
    const defaultKeys = new Map<string, CacheOperation>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance: unknown = wrapper.instance;
      const prototype = isObject(instance) ? (Object.getPrototypeOf(instance) as object) : classPrototype(wrapper.metatype);
      if (prototype === undefined) continue;
      const operations = operationsOf(prototype);
      for (const operation of operations) operation.compile();
      if (operations.length === 0) continue;
      for (const operation of operations) this.claimDefaultKeys(operation, defaultKeys);
      if (wrapper.isDependencyTreeStatic() && !wrapper.isTransient && isObject(instance)) {
        for (const operation of operations) this.bind(wrapper, instance as CacheHolder, operation, caches);
      } else {
        for (const operation of operations) this.checkVisible(wrapper, operation, caches);
      }
    }
  }

  /**
   * Two different classes of one name, each caching a method of one name without a `key` template,
   * would share its default keys (`ClassName.method:<hash>`) and read each other's results.
   */
  private claimDefaultKeys(operation: CacheOperation, claimed: Map<string, CacheOperation>): void {
    const prefix = operation.defaultKeyPrefix;
    if (prefix === undefined || operation.site.cache !== this.name) return;
    const owner = claimed.get(prefix);
    if (owner === undefined) claimed.set(prefix, operation);
    else if (owner.site.target !== operation.site.target) {
      throw new CacheDecoratorError(
        operation.location,
        `another class named ${operation.site.className} in this application also caches ${operation.site.methodName}() without a key template, so both would use the keys '${prefix}<hash>' of cache '${this.name}': give one of them a \`key\``,
      );
    }
  }

  // NOTE: a decorator without `cache:` is an optional dependency (a named one is required, which Nest
  // checks), so a class that cannot see its cache fails here: a singleton by its instance, a request-scoped
  // or transient class by its module's imports.
  private bind(wrapper: InstanceWrapper, instance: CacheHolder, operation: CacheOperation, caches: Set<string>): void {
    const { cache: name, cacheProperty } = operation.site;
    if (instance[cacheProperty] === undefined && wrapper.isNotMetatype && caches.has(name)) {
      // NOTE: Nest injects properties only into instances it constructs: one that a factory or `useValue`
      // provides gets the cache of that name here, from the first of its explorers to run.
      if (name !== this.name) return;
      Object.defineProperty(instance, cacheProperty, { value: this.engine, configurable: true, writable: true });
    }
    const cache = instance[cacheProperty];
    if (cache === undefined) throw new CacheDecoratorError(operation.location, this.missing(wrapper, name, caches));
    if (cache === this.engine) operation.bind?.(instance, { engine: cache, writeBehind: this.writeBehind });
  }

  private checkVisible(wrapper: InstanceWrapper, operation: CacheOperation, caches: Set<string>): void {
    const name = operation.site.cache;
    if (wrapper.host === undefined || wrapper.isNotMetatype || canSee(wrapper.host, decoratedCacheToken(name))) return;
    throw new CacheDecoratorError(operation.location, this.missing(wrapper, name, caches));
  }

  private missing(wrapper: InstanceWrapper, name: string, caches: Set<string>): string {
    if (!caches.has(name)) return `no CacheModule.forRoot({ name: '${name}' }) is registered`;
    return `the cache '${name}' is not visible to ${String(wrapper.name)} in module ${wrapper.host?.name ?? '?'}: import CacheModule.forRoot() (or a module exporting it) there, or register it with isGlobal: true`;
  }
}

function classPrototype(metatype: unknown): object | undefined {
  return typeof metatype === 'function' && isObject(metatype.prototype) ? (metatype.prototype as object) : undefined;
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}
