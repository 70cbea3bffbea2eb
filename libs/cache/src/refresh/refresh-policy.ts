import type { CacheEntry } from '../stores/cache-entry.interface.js';

/**
 * When a fresh entry is refreshed early: at a fraction of its ttl (`0.8` = after 80 %), or `'xfetch'`:
 * probabilistic early expiration (Vattani, Chierichetti, Lowenstein, VLDB 2015), which refreshes
 * sooner the longer the value took to load, spreading refreshes of hot keys apart.
 */
export type RefreshAt = number | 'xfetch';

const XFETCH_BETA = 1;

/** Whether a fresh `entry` is due for a background refresh under `refreshAt`. */
export function isRefreshDue(
  entry: Pick<CacheEntry, 'createdAt' | 'freshUntil' | 'loadDuration'>,
  refreshAt: RefreshAt,
  now: number,
): boolean {
  if (refreshAt === 'xfetch') {
    const delta = entry.loadDuration ?? 0;
    return now - delta * XFETCH_BETA * Math.log(Math.random()) >= entry.freshUntil;
  }
  return now >= entry.createdAt + refreshAt * (entry.freshUntil - entry.createdAt);
}

/** Validates `refreshAt`; returns the problem, or `undefined` when it is valid. */
export function refreshAtProblem(refreshAt: unknown): string | undefined {
  if (refreshAt === 'xfetch') return undefined;
  if (typeof refreshAt === 'number' && refreshAt > 0 && refreshAt < 1) return undefined;
  return `refreshAt must be a fraction of the ttl between 0 and 1 (exclusive) or 'xfetch', got ${JSON.stringify(refreshAt)}`;
}
