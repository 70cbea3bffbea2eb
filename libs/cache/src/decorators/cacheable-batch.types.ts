import type { Duration } from '../options/duration.parser.js';

/** The type of one id of a `@CacheableBatch` method, whose first parameter is an array of ids. */
export type BatchId<Args extends unknown[]> = Args extends [readonly (infer Id)[], ...unknown[]] ? Id : never;

/** The parameters after the ids. */
export type BatchRest<Args extends unknown[]> = Args extends [unknown, ...infer Rest] ? Rest : never;

/**
 * The key (or a tag) of one id: a template where `{id}` (or `{id.sku}`) is that id and `{1}`, `{2.x}` are the
 * method's other arguments, or a function of the id and the other arguments.
 */
export type BatchKeyTemplate<Args extends unknown[] = never> = string | ((id: BatchId<Args>, ...rest: BatchRest<Args>) => string);

/** Options of {@link CacheableBatch}, typed by the decorated method's arguments. */
export interface CacheableBatchOptions<Args extends unknown[] = never> {
  /** The cache it goes through: a name given to `CacheModule.forRoot({ name })`. Default: the default cache. */
  cache?: string;
  /** Each id's key (required), e.g. `'product:{id}'`. */
  key: NoInfer<BatchKeyTemplate<Args>>;
  ttl?: Duration;
  grace?: Duration;
  /** Past ttl (within grace), how long to wait for the method before serving the stale values. */
  timeout?: Duration;
  /** How long callers wait for a method call that never settles. Default `'60s'`. */
  hardTimeout?: Duration;
  /** Each id's tags, templates like `key`. */
  tags?: readonly NoInfer<BatchKeyTemplate<Args>>[];
  /** `false` keeps the entries out of L1. */
  l1?: false;
  /** What a call returns: an array aligned with the ids passed (default), or a Map id → value of the ids found. */
  returns?: 'array' | 'map';
  /** Merges the calls one instance gets within one tick (same other arguments) into one batch, DataLoader-style. */
  coalesce?: boolean;
  /** The most ids one call of the method gets; more are loaded in several concurrent calls. Default 1000. */
  maxBatchSize?: number;
}
