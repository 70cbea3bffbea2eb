import type { Loader, ReadThroughPlan } from '../read-through/read-through.js';
import type { RefreshAt } from '../refresh/refresh-policy.js';

/** The module's default ttl and grace, in milliseconds. */
export interface EntryDefaults {
  readonly ttl: number;
  readonly grace: number;
}

/**
 * How one kind of read-through call loads and caches its value: a decorated method, `getOrSet`, an HTTP
 * route. Built once; its loader and plan are made from `call` only on a miss or a due refresh, so an L1
 * hit builds neither.
 */
export interface ReadSource<T, Call> {
  /** `false` keeps this source's reads and writes out of L1. */
  readonly l1: boolean;
  /** `true` when this call skips both tiers: the loader runs and rewrites the entry (`getOrSet`'s `forceFresh`). */
  forceFresh?(call: Call): boolean;
  /** When a fresh entry is reloaded in the background, if ever; may throw on an invalid option. */
  refreshAt(call: Call): RefreshAt | undefined;
  loader(call: Call, defaults: EntryDefaults): Loader<T>;
  /** How the loaded value is cached; may throw on an invalid option (the read then rejects). */
  plan(call: Call, defaults: EntryDefaults): ReadThroughPlan;
}

/** A read whose loader and plan are built before the call (HTTP caching). */
export interface PlannedRead<T> {
  loader: Loader<T>;
  plan: ReadThroughPlan;
}

/** The source of {@link PlannedRead}s. */
export const PLANNED_READ: ReadSource<unknown, PlannedRead<unknown>> = {
  l1: true,
  refreshAt: (call) => call.plan.refreshAt,
  loader: (call) => call.loader,
  plan: (call) => call.plan,
};
