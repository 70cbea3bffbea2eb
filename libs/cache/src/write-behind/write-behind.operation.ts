import type { CacheEngine } from '../engine/cache.engine.js';
import { type OperationRuntime, type OriginalMethod } from '../decorators/cache-operation.js';
import { compileKey, compileTags, decoratorDuration } from '../decorators/compiled-keys.js';
import { CompiledOperation } from '../decorators/compiled-operation.js';
import type { KeyBuilder } from '../keys/key-template.js';
import type { WriteBehindDecoratorOptions } from './write-behind.decorator.js';
import type { QueuedWriteOptions, WriteBehindQueue } from './write-behind.queue.js';
import { CacheDecoratorError } from '../cache.errors.js';

interface CompiledWriteBehind {
  key: KeyBuilder;
  tags: (args: readonly unknown[]) => string[];
  value: (args: unknown[]) => unknown;
  ttl: number | undefined;
  delay: number | undefined;
  attempts: number | undefined;
  backoff: QueuedWriteOptions['backoff'];
}

const DEFAULT_BACKOFF = { type: 'exponential', delay: 1_000 } as const;

/**
 * `@WriteBehind`: a call writes the value to L1 and L2 at once, queues the persistence (the method body)
 * and returns. When the queue cannot take it, the queue fences the key and the method runs now instead: a
 * write is never lost, and an older queued write is never applied after it.
 */
export class WriteBehindOperation extends CompiledOperation<WriteBehindDecoratorOptions, CompiledWriteBehind> {
  private readonly queues = new WeakMap<CacheEngine, WriteBehindQueue>();

  bind(instance: object, runtime: OperationRuntime): void {
    if (!runtime.writeBehind.isEnabled) {
      throw new CacheDecoratorError(this.location, '@WriteBehind needs CacheModule.forRoot({ writeBehind: { redis } })');
    }
    this.queues.set(runtime.engine, runtime.writeBehind);
    runtime.writeBehind.register(this.location, (args) => this.site.method.apply(instance, args));
  }

  protected async run(compiled: CompiledWriteBehind, engine: CacheEngine, method: OriginalMethod, thisArg: unknown, args: unknown[]): Promise<unknown> {
    const key = compiled.key(args);
    await engine.put(key, compiled.value(args), {
      ttl: compiled.ttl ?? engine.defaults.ttl,
      grace: engine.defaults.grace,
      tags: compiled.tags(args),
    });
    const queue = this.queues.get(engine);
    if (!queue) return method.apply(thisArg, args);
    const options = { delay: compiled.delay ?? queue.defaults.delay, attempts: compiled.attempts ?? queue.defaults.attempts, backoff: compiled.backoff };
    return queue.write(this.location, key, args, options, () => method.apply(thisArg, args));
  }

  protected build(): CompiledWriteBehind {
    const { site, options } = this;
    if (options?.key === undefined) throw new CacheDecoratorError(this.location, '@WriteBehind needs a `key`');
    const value = options.value as ((...args: unknown[]) => unknown) | undefined;
    return {
      key: compileKey(site, options.key),
      tags: compileTags(site, options.tags),
      value: value ? (args) => value(...args) : (args) => args[0],
      ttl: options.ttl === undefined ? undefined : decoratorDuration(site, options.ttl, 'ttl'),
      delay: options.delay === undefined ? undefined : decoratorDuration(site, options.delay, 'delay'),
      attempts: options.attempts,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
    };
  }
}
