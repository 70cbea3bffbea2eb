import { InvalidCacheOptionError } from '../cache.errors.js';

/** A duration: a number of milliseconds, or a string such as `'500ms'`, `'30s'`, `'5m'`, `'1h'`, `'1d'`. */
export type Duration = number | `${number}${DurationUnit}`;

type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

const UNIT_MILLISECONDS: Record<DurationUnit, bigint> = {
  ms: 1n,
  s: 1_000n,
  m: 60_000n,
  h: 3_600_000n,
  d: 86_400_000n,
};

/**
 * The longest duration accepted: 2³¹−1 ms (about 24.8 days).
 * NOTE: one bound for every duration, the largest delay `setTimeout` honours (a longer one fires after
 * 1 ms), so a ttl, a timeout or a wait can never overflow a timer, a Redis `PX` or `Date.now() + ttl + grace`.
 */
export const MAX_DURATION = 2 ** 31 - 1;

const DURATION_PATTERN = /^(\d+)(?:\.(\d+))?(ms|s|m|h|d)$/;

// NOTE: per-call options (`getOrSet(key, loader, { ttl: '1h' })`) are parsed on every call: a valid
// string seen before is looked up instead (a regex, BigInt arithmetic and strings otherwise).
const parsed = new Map<string, number>();
const MAX_PARSED = 1_000;

/**
 * Parses a {@link Duration} into a whole number of milliseconds, from 0 to {@link MAX_DURATION}.
 * A fraction of a millisecond (`4000.7`, `'0.5ms'`, `'1.0001s'`) is rejected, not rounded.
 * @param option the option's name, used in the error message.
 */
export function parseDuration(value: unknown, option: string): number {
  if (typeof value === 'number') return checkedMilliseconds(value, value, option);
  const known = typeof value === 'string' ? parsed.get(value) : undefined;
  if (known !== undefined) return known;
  const match = typeof value === 'string' ? DURATION_PATTERN.exec(value.trim()) : null;
  if (!match) {
    throw new InvalidCacheOptionError(
      option,
      `${describe(value)} is not a duration; use milliseconds or a string like '500ms', '30s', '5m', '1h', '1d'`,
    );
  }
  const milliseconds = checkedMilliseconds(exactMilliseconds(match), value, option);
  if (parsed.size < MAX_PARSED) parsed.set(value as string, milliseconds);
  return milliseconds;
}

// NOTE: BigInt keeps '1.1s' exact (1.1 * 1000 is 1100.0000000000002 in floating point) and a 400-digit
// string finite until the bound check. A fraction of a millisecond comes back as 0.5 (not whole).
function exactMilliseconds([, whole, fraction = '', unit]: RegExpExecArray): number {
  const scale = 10n ** BigInt(fraction.length);
  const scaled = BigInt(whole + fraction) * UNIT_MILLISECONDS[unit as DurationUnit];
  if (scaled % scale !== 0n) return 0.5;
  const milliseconds = scaled / scale;
  return milliseconds > BigInt(MAX_DURATION) ? Infinity : Number(milliseconds);
}

function checkedMilliseconds(milliseconds: number, value: unknown, option: string): number {
  if (Number.isInteger(milliseconds) && milliseconds >= 0 && milliseconds <= MAX_DURATION) return milliseconds;
  throw new InvalidCacheOptionError(option, `${describe(value)} must be a whole number of milliseconds from 0 to ${MAX_DURATION} (about 24.8 days)`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === 'object' && value !== null ? 'an object' : String(value);
}
