import type { Loader, ReadThroughPlan } from '../read-through/read-through.js';
import type { RefreshAt } from '../refresh/refresh-policy.js';

/** The module's default ttl and grace, in milliseconds. */
export interface EntryDefaults {
  readonly ttl: number;
  readonly grace: number;
}

/**
 * How one kind of read-through call loads and caches its value, from the call's `subject` and `input`:
 * a decorated method (the instance and the arguments), `getOrSet` (the loader and the options), an HTTP
 * route (the loader and the plan). Built once; the loader and plan are made only on a miss or a due
 * refresh, so an L1 hit allocates nothing for them.
 */
export interface ReadSource<T, Subject, Input> {
  /** `false` keeps this source's reads and writes out of L1. */
  readonly l1: boolean;
  /** `true` when this call skips both tiers: the loader runs and rewrites the entry (`getOrSet`'s `forceFresh`). */
  forceFresh?(subject: Subject, input: Input): boolean;
  /** When a fresh entry is reloaded in the background, if ever; may throw on an invalid option. */
  refreshAt(subject: Subject, input: Input): RefreshAt | undefined;
  loader(subject: Subject, input: Input, defaults: EntryDefaults): Loader<T>;
  /** How the loaded value is cached; may throw on an invalid option (the read then rejects). */
  plan(subject: Subject, input: Input, defaults: EntryDefaults): ReadThroughPlan;
}

const PLANNED: ReadSource<unknown, Loader<unknown>, ReadThroughPlan> = {
  l1: true,
  refreshAt: (_loader, plan) => plan.refreshAt,
  loader: (loader) => loader,
  plan: (_loader, plan) => plan,
};

/** The source of reads whose loader and plan are built before the call (HTTP caching). */
export function plannedRead<T>(): ReadSource<T, Loader<T>, ReadThroughPlan> {
  return PLANNED as unknown as ReadSource<T, Loader<T>, ReadThroughPlan>;
}
