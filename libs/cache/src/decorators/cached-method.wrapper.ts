import type { AsyncMethod, AsyncMethodDecorator } from './cache-decorator.types.js';
import { resolveCache } from './cache-binding.registry.js';
import { warnIfUncovered } from './uncovered-class.warning.js';
import { registerOperation, type CacheOperation, type OperationSite, type OriginalMethod } from './cache-operation.js';

/**
 * Builds a method decorator: the method is wrapped at definition time (keeping `this`, `name`,
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
  const method = original as unknown as OriginalMethod;
  // NOTE: a plain function rather than a Proxy: V8 inlines it, and the hit path is measured against a bare
  // lru-cache get. `name`, `length` and metadata are copied so Nest, Swagger and tests see the original.
  const wrapper = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const cache = resolveCache(this);
    if (cache === undefined) {
      warnIfUncovered(this, operation.location);
      return method.apply(this, args);
    }
    return operation.invoke(cache, method, this, args);
  };
  Object.defineProperty(wrapper, 'name', { value: original.name });
  Object.defineProperty(wrapper, 'length', { value: original.length });
  copyMetadata(original, wrapper);
  return wrapper as unknown as M;
}

// NOTE: decorators applied below this one stored their metadata on the original function; Nest and
// Swagger read it from the function that ends up on the prototype, so it is copied to the proxy.
function copyMetadata(from: object, to: object): void {
  for (const key of Reflect.getOwnMetadataKeys(from)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, from), to);
  }
}
