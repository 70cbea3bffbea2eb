import { CacheDecoratorError } from '../cache.errors.js';


/**
 * Type checks of decorator options, at startup: a misspelt option or a value of the wrong type fails
 * naming the method, instead of being ignored (`l1: 'false'` caching in L1, `tll: '1m'` using the default).
 */
export class DecoratorOptionsGuard {
  constructor(
    private readonly location: string,
    private readonly decorator: string,
  ) {}

  /** Throws unless `options` is an object with only `allowed` keys. */
  shape(options: unknown, allowed: readonly string[]): void {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new CacheDecoratorError(this.location, `${this.decorator} options must be an object`);
    }
    for (const key of Object.keys(options)) {
      if (!allowed.includes(key)) {
        throw new CacheDecoratorError(this.location, `${this.decorator} has an unknown option '${key}'; allowed: ${allowed.join(', ')}`);
      }
    }
  }

  /** A function option, or `undefined`. */
  optionalFunction<F>(value: unknown, option: string): F | undefined {
    if (value === undefined || typeof value === 'function') return value as F | undefined;
    throw this.typeError(option, 'a function');
  }

  /** A boolean option, or `undefined`. */
  optionalBoolean(value: unknown, option: string): boolean | undefined {
    if (value === undefined || typeof value === 'boolean') return value;
    throw this.typeError(option, 'true or false');
  }

  /** An array option, or `undefined`. */
  optionalArray<T>(value: unknown, option: string): readonly T[] | undefined {
    if (value === undefined || Array.isArray(value)) return value as readonly T[] | undefined;
    throw this.typeError(option, 'an array');
  }

  typeError(option: string, expected: string): CacheDecoratorError {
    return new CacheDecoratorError(this.location, `${this.decorator} option '${option}' must be ${expected}`);
  }
}
