/** A duration: a number of milliseconds, or a string such as `'500ms'`, `'30s'`, `'5m'`, `'1h'`, `'1d'`. */
export type Duration = number | `${number}${DurationUnit}`;

type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

const UNIT_MILLISECONDS: Record<DurationUnit, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Thrown when an option holds a value that is not allowed; the message names the option. */
export class InvalidCacheOptionError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`nestjs-tiered-cache: invalid option '${option}': ${message}`);
    this.name = 'InvalidCacheOptionError';
  }
}

/**
 * Parses a {@link Duration} into milliseconds.
 * @param option the option's name, used in the error message.
 */
export function parseDuration(value: unknown, option: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
    throw new InvalidCacheOptionError(option, `${value} is not a non-negative finite number of milliseconds`);
  }
  const match = typeof value === 'string' ? DURATION_PATTERN.exec(value.trim()) : null;
  if (!match) {
    throw new InvalidCacheOptionError(
      option,
      `${JSON.stringify(value)} is not a duration; use milliseconds or a string like '500ms', '30s', '5m', '1h', '1d'`,
    );
  }
  return Math.round(Number(match[1]) * UNIT_MILLISECONDS[match[2] as DurationUnit]);
}
