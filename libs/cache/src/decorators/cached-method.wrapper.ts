import { Inject, Optional } from '@nestjs/common';
import { decoratedCacheToken, DEFAULT_CACHE_NAME } from '../options/cache-name.js';
import type { AsyncMethod, AsyncMethodDecorator } from './cache-decorator.types.js';
import { warnIfUncovered } from './uncovered-class.warning.js';
import { registerOperation, type CacheHolder, type CacheOperation, type OperationSite, type OriginalMethod } from './cache-operation.js';

/**
 * Builds a method decorator: the method is wrapped at definition time (keeping `this`, `name`,
 * `length` and the metadata of other decorators), and the class gets a property that Nest injects with
 * the cache named by `options.cache`, in every instance it builds (singleton, request-scoped, transient).
 * A call on an instance without it runs the plain method (e.g. `new Service()` in a unit test).
 */
export function cacheDecorator<Args extends unknown[], Result>(
  options: { cache?: unknown } | undefined,
  createOperation: (site: OperationSite) => CacheOperation,
): AsyncMethodDecorator<Args, Result> {
  return (target, propertyKey, descriptor) => {
    const original = descriptor.value;
    if (typeof original !== 'function') return;
    const className = target.constructor.name;
    const methodName = String(propertyKey);
    const named = typeof options?.cache === 'string';
    const cache = named ? (options.cache as string) : DEFAULT_CACHE_NAME;
    const cacheProperty = injectCache(target, `${className}.${methodName}`, cache, named);
    const operation = createOperation({
      target,
      className,
      methodName,
      parameterCount: original.length,
      method: original as unknown as OriginalMethod,
      cache,
      cacheProperty,
    });
    registerOperation(target, operation);
    descriptor.value = wrapMethod(original, operation, cacheProperty);
  };
}

// NOTE: property injection (as nestjs-cls's @UseCls reaches its host) makes the binding follow the module
// graph with no global state. A cache named in `cache:` must be visible, else Nest fails startup with this
// property's description, which names class, method and cache. Without `cache:` it is optional, so a
// class in an application without CacheModule (a unit test) still runs, uncached.
function injectCache(target: object, location: string, cache: string, required: boolean): symbol {
  const property = Symbol(`${location} uses cache '${cache}': register CacheModule.forRoot({ name: '${cache}', ... }) where ${location.split('.')[0]} can see it`);
  Inject(decoratedCacheToken(cache))(target, property);
  if (!required) Optional()(target, property);
  return property;
}

function wrapMethod<M extends AsyncMethod>(original: M, operation: CacheOperation, cacheProperty: symbol): M {
  const method = original as unknown as OriginalMethod;
  // NOTE: a plain function rather than a Proxy: V8 inlines it, and the hit path is measured against a bare
  // lru-cache get. `name`, `length` and metadata are copied so Nest, Swagger and tests see the original.
  const wrapper = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const cache = (this as CacheHolder | undefined)?.[cacheProperty];
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
