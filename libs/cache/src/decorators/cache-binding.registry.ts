import type { CacheEngine } from '../engine/cache.engine.js';

const INSTANCE_BINDING = Symbol('nestjs-tiered-cache:binding');

interface BoundInstance {
  [INSTANCE_BINDING]?: CacheEngine;
}

/** Prototype → the cache engines of the running applications that provide that class. */
const classBindings = new WeakMap<object, Set<CacheEngine>>();

/** Bindings of instances that cannot take a property (frozen, sealed). */
const sealedBindings = new WeakMap<object, CacheEngine>();

/** Ties a provider instance to its application's cache (singletons, found by the explorer at init). */
export function bindInstance(instance: object, cache: CacheEngine): void {
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
export function bindClass(prototype: object, cache: CacheEngine): number {
  const engines = classBindings.get(prototype) ?? new Set<CacheEngine>();
  engines.add(cache);
  classBindings.set(prototype, engines);
  return engines.size;
}

/** Forgets a closed application's cache. */
export function unbindClass(prototype: object, cache: CacheEngine): void {
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
export function resolveCache(instance: unknown): CacheEngine | undefined {
  if (instance === null || typeof instance !== 'object') return undefined;
  // NOTE: the hit path's case first, kept small so V8 inlines it into the decorated method's wrapper.
  return (instance as BoundInstance)[INSTANCE_BINDING] ?? resolveUnbound(instance);
}

function resolveUnbound(instance: object): CacheEngine | undefined {
  const sealed = sealedBindings.get(instance);
  if (sealed !== undefined) return sealed;
  const engines = classBindings.get(Object.getPrototypeOf(instance) as object);
  if (engines?.size !== 1) return undefined;
  const [only] = engines;
  return only;
}
