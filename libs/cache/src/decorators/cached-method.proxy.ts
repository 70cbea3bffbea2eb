import type { AsyncMethod, AsyncMethodDecorator } from './cache-decorator.types.js';
import { resolveCache } from './cache-binding.registry.js';
import { warnIfUncovered } from './uncovered-class.warning.js';
import { registerOperation, type CacheOperation, type OperationSite, type OriginalMethod } from './cache-operation.js';

/**
 * Builds a method decorator: the method is wrapped in a `Proxy` at definition time (keeping `this`, `name`,
 * `length` and the metadata of other decorators), and each call finds its application's cache through the
 * binding registry, running the plain method when there is none (e.g. `new Service()` in a unit test).
 */
export function cacheDecorator<Args extends unknown[], Result>(
  createOperation: (site: OperationSite) => CacheOperation,
): AsyncMethodDecorator<Args, Result> {
  return (target, propertyKey, descriptor) => {
    const original = descriptor.value;
    if (typeof original !== 'function') return;
    const operation = createOperation({
      target,
      className: target.constructor.name,
      methodName: String(propertyKey),
      parameterCount: original.length,
      method: original as unknown as OriginalMethod,
    });
    registerOperation(target, operation);
    descriptor.value = wrapMethod(original, operation);
  };
}

function wrapMethod<M extends AsyncMethod>(original: M, operation: CacheOperation): M {
  const proxy = new Proxy(original, {
    apply(method, thisArg: unknown, args: unknown[]) {
      const cache = resolveCache(thisArg);
      if (cache === undefined) {
        warnIfUncovered(thisArg, operation.location);
        return Reflect.apply(method, thisArg, args);
      }
      return operation.invoke(cache, method as unknown as OriginalMethod, thisArg, args);
    },
  });
  copyMetadata(original, proxy);
  return proxy;
}

// NOTE: decorators applied below this one stored their metadata on the original function; Nest and
// Swagger read it from the function that ends up on the prototype, so it is copied to the proxy.
function copyMetadata(from: object, to: object): void {
  for (const key of Reflect.getOwnMetadataKeys(from)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, from), to);
  }
}
