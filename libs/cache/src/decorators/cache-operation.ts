import type { CacheEngine } from '../engine/cache.engine.js';
import type { WriteBehindQueue } from '../write-behind/write-behind.queue.js';

/** An instance of a decorated class: its caches, under the operations' `cacheProperty` (see `OperationSite`). */
export type CacheHolder = Record<symbol, CacheEngine | undefined>;

/** The decorated method, as an operation calls it. */
export type OriginalMethod = (...args: unknown[]) => Promise<unknown>;

/** What a decorator does around a call, compiled once per method. */
export interface CacheOperation {
  /** Where it is declared, e.g. `ProductsService.findOne`. */
  readonly location: string;
  /** Validates and compiles the options; throws an error naming {@link location}. Idempotent. */
  compile(): void;
  /** Runs `method.apply(thisArg, args)` through the cache. */
  invoke(engine: CacheEngine, method: OriginalMethod, thisArg: unknown, args: unknown[]): Promise<unknown>;
  /** Called at init for each singleton instance declaring it (e.g. to register a write-behind writer). */
  bind?(instance: object, runtime: OperationRuntime): void;
  /** Where it is declared, and which cache it goes through. */
  readonly site: OperationSite;
  /** The prefix of the keys it builds without a `key` template (`ClassName.method:`); `undefined` with one. */
  readonly defaultKeyPrefix?: string | undefined;
}

/** What the explorer of the operation's cache hands to {@link CacheOperation.bind}. */
export interface OperationRuntime {
  engine: CacheEngine;
  writeBehind: WriteBehindQueue;
}

/** Where an operation is declared. */
export interface OperationSite {
  /** The prototype declaring the method. */
  target: object;
  className: string;
  methodName: string;
  parameterCount: number;
  /** The decorated method itself. */
  method: OriginalMethod;
  /** The name of the cache it goes through (the decorator's `cache` option). */
  cache: string;
  /** The instance property Nest injects with that cache. */
  cacheProperty: symbol;
}

/** Prototype → the operations declared on it. */
const operationsByPrototype = new WeakMap<object, CacheOperation[]>();

/** Records an operation declared on `prototype`. */
export function registerOperation(prototype: object, operation: CacheOperation): void {
  const operations = operationsByPrototype.get(prototype) ?? [];
  operations.push(operation);
  operationsByPrototype.set(prototype, operations);
}

/** The operations declared on `prototype` and its ancestors. */
export function operationsOf(prototype: object | null): CacheOperation[] {
  const found: CacheOperation[] = [];
  for (let current = prototype; current !== null && current !== Object.prototype; current = Object.getPrototypeOf(current) as object | null) {
    found.push(...(operationsByPrototype.get(current) ?? []));
  }
  return found;
}

