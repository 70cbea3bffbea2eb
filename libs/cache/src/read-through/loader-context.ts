import { parseDuration, type Duration } from '../options/duration.parser.js';
import type { EntryPlan } from '../stores/tiered.store.js';

/** Handed to a `getOrSet` loader: lets it change how its result is cached. */
export interface LoaderContext<T = unknown> {
  /** The namespace-relative key being loaded. */
  readonly key: string;
  /** The stale value still within grace, if any (e.g. for conditional requests upstream). */
  readonly staleValue: T | undefined;
  /** Sets this entry's ttl. */
  setTtl(ttl: Duration): void;
  /** Sets this entry's grace. */
  setGrace(grace: Duration): void;
  /**
   * Replaces this entry's tags. NOTE: tags known before the load are versioned before the loader runs;
   * tags set here are versioned when the loader returns, so an invalidation racing the load is only
   * caught for the former.
   */
  setTags(tags: readonly string[]): void;
  /** Returns the result without caching it. */
  skipCache(): void;
}

/** The context implementation; the read-through reads back the loader's decisions. */
export class LoaderContextState<T> implements LoaderContext<T> {
  skipped = false;
  tagsChanged = false;

  constructor(
    readonly key: string,
    readonly staleValue: T | undefined,
    readonly plan: EntryPlan,
  ) {}

  setTtl(ttl: Duration): void {
    this.plan.ttl = parseDuration(ttl, 'ttl');
  }

  setGrace(grace: Duration): void {
    this.plan.grace = parseDuration(grace, 'grace');
  }

  setTags(tags: readonly string[]): void {
    this.plan.tags = [...tags];
    this.tagsChanged = true;
  }

  skipCache(): void {
    this.skipped = true;
  }
}
