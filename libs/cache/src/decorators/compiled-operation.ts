import { CacheDecoratorError } from '../cache.errors.js';
import type { CacheEngine } from '../engine/cache.engine.js';
import { cacheName } from '../options/cache-options.validator.js';
import type { CacheOperation, OperationSite, OriginalMethod } from './cache-operation.js';
/** Shared shape of the decorators' operations: options compiled once, at startup or on first call. */
export abstract class CompiledOperation<Options, Compiled> implements CacheOperation {
  readonly location: string;
  private compiled: Compiled | undefined;

  constructor(
    readonly site: OperationSite,
    protected readonly options: Options,
  ) {
    this.location = `${site.className}.${site.methodName}`;
  }

  compile(): void {
    this.compiled ??= this.checkedBuild();
  }

  /**
   * Never throws: a key that cannot be built, or a `condition`/`unless`/key function that throws, is a
   * rejected Promise like any other failure of the call.
   */
  invoke(engine: CacheEngine, method: OriginalMethod, thisArg: unknown, args: unknown[]): Promise<unknown> {
    try {
      return this.run(this.compiled ?? (this.compiled = this.checkedBuild()), engine, method, thisArg, args);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  private checkedBuild(): Compiled {
    const cache = (this.options as { cache?: unknown } | undefined)?.cache;
    try {
      cacheName(cache, 'cache');
    } catch (error) {
      throw new CacheDecoratorError(this.location, (error as Error).message);
    }
    return this.build();
  }

  /** Validates the options; throws a `CacheDecoratorError` naming {@link location}. */
  protected abstract build(): Compiled;

  /** Runs one call through the cache. */
  protected abstract run(compiled: Compiled, engine: CacheEngine, method: OriginalMethod, thisArg: unknown, args: unknown[]): Promise<unknown>;
}
