import { Logger } from '@nestjs/common';

const logger = new Logger('TieredCache');
const warned = new WeakSet<object>();

/**
 * Logs once per class that its decorated methods run uncached because Nest gave the instance no cache
 * (no `CacheModule` in its application, or a class built with `new`).
 */
// NOTE: at the first uncached call, not at startup: an application without CacheModule runs none of
// the library's code at startup. A warning rather than an error, as `new Service()` in a unit test is legitimate.
export function warnIfUncovered(instance: unknown, location: string): void {
  if (instance === null || typeof instance !== 'object') return;
  const prototype = Object.getPrototypeOf(instance) as object | null;
  if (prototype === null || warned.has(prototype)) return;
  warned.add(prototype);
  const className = location.split('.')[0];
  logger.warn(
    `${location} runs uncached: no CacheModule covers ${className}; import CacheModule.forRoot() in its module or register it with isGlobal: true (a class built with new outside Nest always runs uncached)`,
  );
}
