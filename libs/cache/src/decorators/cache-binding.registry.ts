import type { CacheService } from '../cache.service.js';

const INSTANCE_BINDING = Symbol('nestjs-tiered-cache:binding');

interface BoundInstance {
  [INSTANCE_BINDING]?: CacheService;
}

/** Prototype → the cache services of the running applications that provide that class. */
const classBindings = new WeakMap<object, Set<CacheService>>();

/** Ties a provider instance to its application's cache (singletons, found by the explorer at init). */
export function bindInstance(instance: object, cache: CacheService): void {
  Object.defineProperty(instance, INSTANCE_BINDING, { value: cache, configurable: true, writable: true });
}

/** Ties a class to an application's cache, for instances the explorer cannot see (request-scoped, transient). */
export function bindClass(prototype: object, cache: CacheService): void {
  const services = classBindings.get(prototype) ?? new Set<CacheService>();
  services.add(cache);
  classBindings.set(prototype, services);
}

/** Forgets a closed application's cache. */
export function unbindClass(prototype: object, cache: CacheService): void {
  classBindings.get(prototype)?.delete(cache);
}

/** Whether any application ever bound `prototype` (its class is covered by a CacheModule). */
export function wasEverBound(prototype: object): boolean {
  return classBindings.has(prototype);
}

/**
 * The cache a decorated call on `instance` goes through: its own binding, else its class's when exactly
 * one running application provides that class; otherwise none, and the method runs uncached.
 */
export function resolveCache(instance: unknown): CacheService | undefined {
  if (instance === null || typeof instance !== 'object') return undefined;
  const bound = (instance as BoundInstance)[INSTANCE_BINDING];
  if (bound !== undefined) return bound;
  const services = classBindings.get(Object.getPrototypeOf(instance) as object);
  if (services?.size !== 1) return undefined;
  const [only] = services;
  return only;
}
