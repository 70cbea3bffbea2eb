import { InvalidCacheOptionError } from '../cache.errors.js';

/** Options of `CacheService.delete` and `CacheService.invalidateTags`, given after the keys or tags. */
export interface InvalidateOptions {
  /**
   * Mark the entries stale instead of removing them: they are never served fresh again, but stay the
   * fallback (within grace) when the next load fails or times out. Default `false`.
   */
  soft?: boolean;
}

/** Keys or tags, optionally followed by {@link InvalidateOptions}. */
export type ItemsThenOptions = string[] | [...items: string[], options: InvalidateOptions];

/** Splits `delete('a', 'b', { soft: true })` into its items and whether it is soft; checks the options. */
export function splitInvalidateArguments(args: ItemsThenOptions): { items: string[]; soft: boolean } {
  const last = args[args.length - 1];
  if (last === null || typeof last !== 'object') return { items: args as string[], soft: false };
  for (const name of Object.keys(last)) {
    if (name !== 'soft') throw new InvalidCacheOptionError(name, 'unknown option; allowed: soft');
  }
  const { soft = false } = last;
  if (typeof soft !== 'boolean') throw new InvalidCacheOptionError('soft', `${String(soft)} must be true or false`);
  return { items: args.slice(0, -1) as string[], soft };
}
