import { CacheDecoratorError } from '../cache.errors.js';
import type { CacheEngine } from '../engine/cache.engine.js';
import type { KeyBuilder } from '../keys/key-template.js';
import { validMaxBatchSize, type BatchPlan } from '../read-through/batch-plan.js';
import { DEFAULT_HARD_TIMEOUT } from '../read-through/read-through.js';
import { BatchCoalescer } from './batch-coalescer.js';
import type { OriginalMethod } from './cache-operation.js';
import type { BatchKeyTemplate, CacheableBatchOptions } from './cacheable-batch.types.js';
import { compileKey, decoratorDuration } from './compiled-keys.js';
import { CompiledOperation } from './compiled-operation.js';
import { DecoratorOptionsGuard } from './decorator-options.guard.js';

const ALLOWED_OPTIONS = ['cache', 'key', 'ttl', 'grace', 'timeout', 'hardTimeout', 'tags', 'l1', 'returns', 'coalesce', 'maxBatchSize'];
const ID_PLACEHOLDER = /\{id(?=[.}])/g;
const ARGUMENT_ZERO = /\{0(?=[.}])/;

interface CompiledBatch {
  /** Builds a key from `[id, ...otherArguments]`. */
  key: KeyBuilder;
  tags: readonly KeyBuilder[];
  ttl: number | undefined;
  grace: number | undefined;
  timeout: number | undefined;
  hardTimeout: number;
  useL1: boolean;
  returnsMap: boolean;
  coalesce: boolean;
  maxBatchSize: number;
}

/**
 * `@CacheableBatch`: the ids of the first argument are mapped to keys; cached ones are served from the
 * cache and the method runs with the missing ids only (see `CacheService.getManyOrSet`).
 */
export class CacheableBatchOperation extends CompiledOperation<CacheableBatchOptions, CompiledBatch> {
  private readonly coalescer = new BatchCoalescer();

  protected run(compiled: CompiledBatch, engine: CacheEngine, method: OriginalMethod, thisArg: unknown, args: unknown[]): Promise<unknown> {
    const ids: unknown = args[0];
    if (!Array.isArray(ids)) return Promise.reject(new CacheDecoratorError(this.location, '@CacheableBatch needs an array of ids as the first argument'));
    const load = (batchIds: readonly unknown[], batchArgs: readonly unknown[]): Promise<unknown[]> => this.load(compiled, engine, method, thisArg, batchIds, batchArgs);
    const values = compiled.coalesce && thisArg !== null && typeof thisArg === 'object' ? this.coalescer.enqueue(thisArg, ids, args, load) : load(ids, args);
    return compiled.returnsMap ? values.then((found) => mapOf(ids, found)) : values;
  }

  /** The values of `ids` (aligned with them), through `getManyOrLoad`. */
  private load(compiled: CompiledBatch, engine: CacheEngine, method: OriginalMethod, thisArg: unknown, ids: readonly unknown[], args: readonly unknown[]): Promise<unknown[]> {
    const rest = args.slice(1);
    const keys = ids.map((id) => compiled.key([id, ...rest]));
    const idOf = new Map<string, unknown>();
    keys.forEach((key, index) => idOf.has(key) || idOf.set(key, ids[index]));
    const plan: BatchPlan = {
      ttl: compiled.ttl ?? engine.defaults.ttl,
      grace: compiled.grace ?? engine.defaults.grace,
      tagsOf: (key) => compiled.tags.map((build) => build([idOf.get(key), ...rest])),
      timeout: compiled.timeout,
      hardTimeout: compiled.hardTimeout,
      l1: compiled.useL1,
      shouldCache: (value) => value != null,
      maxBatchSize: compiled.maxBatchSize,
    };
    return engine.readMany(keys, async (missing) => {
      const missingIds = missing.map((key) => idOf.get(key));
      return this.alignById(missingIds, await method.apply(thisArg, [missingIds, ...rest]));
    }, plan);
  }

  /** The method's result as one value per id: from a Map id → value, or an array aligned with the ids. */
  private alignById(ids: readonly unknown[], result: unknown): unknown[] {
    if (result instanceof Map) return ids.map((id) => result.get(id) as unknown);
    if (Array.isArray(result) && result.length === ids.length) return result as unknown[];
    const got = Array.isArray(result) ? `an array of ${result.length}` : typeof result;
    throw new CacheDecoratorError(this.location, `@CacheableBatch: the method must resolve to a Map or an array with one item per id (${ids.length}), got ${got}`);
  }

  protected build(): CompiledBatch {
    const { options } = this;
    const guard = new DecoratorOptionsGuard(this.location, '@CacheableBatch');
    guard.shape(options, ALLOWED_OPTIONS);
    if (options.key === undefined) throw new CacheDecoratorError(this.location, "@CacheableBatch needs a `key`, e.g. 'product:{id}'");
    const returns = options.returns ?? 'array';
    if (returns !== 'array' && returns !== 'map') throw guard.typeError('returns', "'array' or 'map'");
    return {
      key: this.compileIdTemplate(options.key, 'key'),
      tags: (guard.optionalArray<BatchKeyTemplate>(options.tags, 'tags') ?? []).map((tag) => this.compileIdTemplate(tag, 'tags')),
      ttl: this.duration(options.ttl, 'ttl'),
      grace: this.duration(options.grace, 'grace'),
      timeout: this.duration(options.timeout, 'timeout'),
      hardTimeout: this.duration(options.hardTimeout, 'hardTimeout') ?? DEFAULT_HARD_TIMEOUT,
      useL1: guard.optionalBoolean(options.l1, 'l1') !== false,
      returnsMap: returns === 'map',
      coalesce: guard.optionalBoolean(options.coalesce, 'coalesce') === true,
      maxBatchSize: this.maxBatchSize(),
    };
  }

  /** A template's `{id}` becomes argument 0, which each key is built with: the id itself. */
  private compileIdTemplate(template: BatchKeyTemplate, option: string): KeyBuilder {
    if (typeof template !== 'string') return compileKey(this.site, template as (...args: never[]) => string);
    if (ARGUMENT_ZERO.test(template)) throw new CacheDecoratorError(this.location, `@CacheableBatch ${option} '${template}': use {id} for each id, not {0}`);
    if (option === 'key' && !template.match(ID_PLACEHOLDER)) {
      throw new CacheDecoratorError(this.location, `@CacheableBatch key '${template}' must contain {id}, or every id would share one entry`);
    }
    return compileKey(this.site, template.replace(ID_PLACEHOLDER, '{0'));
  }

  private duration(value: unknown, option: string): number | undefined {
    return value === undefined ? undefined : decoratorDuration(this.site, value, option);
  }

  private maxBatchSize(): number {
    try {
      return validMaxBatchSize(this.options.maxBatchSize);
    } catch (error) {
      throw new CacheDecoratorError(this.location, (error as Error).message);
    }
  }
}

/** The ids with a value, as a Map id → value. */
function mapOf(ids: readonly unknown[], values: readonly unknown[]): Map<unknown, unknown> {
  const found = new Map<unknown, unknown>();
  ids.forEach((id, index) => values[index] !== undefined && found.set(id, values[index]));
  return found;
}
