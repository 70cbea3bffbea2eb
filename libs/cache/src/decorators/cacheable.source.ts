import type { EntryDefaults, ReadSource } from '../engine/read-source.interface.js';
import type { KeyBuilder } from '../keys/key-template.js';
import type { LoaderContext } from '../read-through/loader-context.js';
import type { Loader, ReadThroughPlan } from '../read-through/read-through.js';
import type { RefreshAt } from '../refresh/refresh-policy.js';
import type { OriginalMethod } from './cache-operation.js';

type Predicate = (...args: unknown[]) => boolean;

/** A `@Cacheable` method's options, compiled once (durations in milliseconds). */
export interface CacheableSettings {
  key: KeyBuilder;
  tags: (args: readonly unknown[]) => string[];
  ttl: number | undefined;
  grace: number | undefined;
  timeout: number | undefined;
  nullTtl: number | undefined;
  condition: Predicate | undefined;
  unless: Predicate | undefined;
  l1: boolean;
  refreshAt: RefreshAt | undefined;
}

/** How a `@Cacheable` (or `@RefreshAhead`) method's calls load and cache their result: subject `this`, input the arguments. */
export class CacheableSource implements ReadSource<unknown, unknown, unknown[]> {
  readonly key: KeyBuilder;
  readonly condition: Predicate | undefined;
  readonly l1: boolean;

  constructor(
    private readonly method: OriginalMethod,
    private readonly settings: CacheableSettings,
  ) {
    this.key = settings.key;
    this.condition = settings.condition;
    this.l1 = settings.l1;
  }

  refreshAt(): RefreshAt | undefined {
    return this.settings.refreshAt;
  }

  loader(thisArg: unknown, args: unknown[], defaults: EntryDefaults): Loader<unknown> {
    const { method } = this;
    const { nullTtl, ttl } = this.settings;
    // NOTE: a cached null never outlives what the method's own ttl would give a value.
    const cappedNullTtl = nullTtl === undefined ? undefined : Math.min(nullTtl, ttl ?? defaults.ttl);
    return async (context: LoaderContext): Promise<unknown> => {
      const result = await method.apply(thisArg, args);
      if (result == null && cappedNullTtl !== undefined) context.setTtl(cappedNullTtl);
      return result;
    };
  }

  plan(_thisArg: unknown, args: unknown[], defaults: EntryDefaults): ReadThroughPlan {
    const { settings } = this;
    return {
      ttl: settings.ttl ?? defaults.ttl,
      grace: settings.grace ?? defaults.grace,
      tags: settings.tags(args),
      timeout: settings.timeout,
      l1: settings.l1,
      shouldCache: (result) => this.shouldCache(result, args),
      refreshAt: settings.refreshAt,
    };
  }

  private shouldCache(result: unknown, args: unknown[]): boolean {
    if (result == null && this.settings.nullTtl === undefined) return false;
    return this.settings.unless === undefined || !this.settings.unless(result, ...args);
  }
}
