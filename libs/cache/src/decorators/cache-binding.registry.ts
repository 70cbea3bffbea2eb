import type { CacheService } from '../cache.service.js';

const INSTANCE_BINDING = Symbol('nestjs-tiered-cache:binding');

interface BoundInstance {
  [INSTANCE_BINDING]?: CacheService;
}

/** Prototype → the cache services of the running applications that provide that class. */
const classBindings = new WeakMap<object, Set<CacheService>>();

/** Bindings of instances that cannot take a property (frozen, sealed). */
const sealedBindings = new WeakMap<object, CacheService>();

/** Ties a provider instance to its application's cache (singletons, found by the explorer at init). */
export function bindInstance(instance: object, cache: CacheService): void {
  // NOTE: a property is the fastest lookup on the hit path; an instance that froze itself gets a WeakMap entry.
  if (!Object.isExtensible(instance) && !Object.hasOwn(instance, INSTANCE_BINDING)) {
    sealedBindings.set(instance, cache);
    return;
  }
  Object.defineProperty(instance, INSTANCE_BINDING, { value: cache, configurable: true, writable: true });
}

/**
 * Ties a class to an application's cache, for instances the explorer cannot see (request-scoped, transient).
 * Returns how many running applications' caches the class is now tied to.
 */
export function bindClass(prototype: object, cache: CacheService): number {
  const services = classBindings.get(prototype) ?? new Set<CacheService>();
  services.add(cache);
  classBindings.set(prototype, services);
  return services.size;
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
  const bound = (instance as BoundInstance)[INSTANCE_BINDING] ?? sealedBindings.get(instance);
  if (bound !== undefined) return bound;
  const services = classBindings.get(Object.getPrototypeOf(instance) as object);
  if (services?.size !== 1) return undefined;
  const [only] = services;
  return only;
}
