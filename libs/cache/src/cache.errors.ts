import type { OptionalPeer } from './peers/optional-peer.loader.js';

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

/** A decorator's configuration error, prefixed with where it was declared. */
export class CacheDecoratorError extends Error {
  constructor(location: string, problem: string) {
    // NOTE: a wrapped library error (e.g. an invalid duration) brings its own prefix; it is printed once.
    super(`nestjs-tiered-cache: ${location}: ${problem.replace(/^nestjs-tiered-cache: /, '')}`);
    this.name = 'CacheDecoratorError';
  }
}

/** Thrown at startup when a feature is configured whose optional peer dependency is not installed. */
export class MissingPeerDependencyError extends Error {
  constructor(
    readonly packageName: OptionalPeer,
    feature: string,
  ) {
    super(`nestjs-tiered-cache: ${feature} needs the package '${packageName}', which is not installed: npm install ${packageName}`);
    this.name = 'MissingPeerDependencyError';
  }
}

/** A change feed that cannot start: the message says what to fix. */
export class ChangeFeedSetupError extends Error {
  constructor(message: string) {
    super(`nestjs-tiered-cache: changeFeed: ${message}`);
    this.name = 'ChangeFeedSetupError';
  }
}

/** Thrown when a value cannot be stored: the key is named and nothing is written. */
export class CacheSerializationError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`nestjs-tiered-cache: the value for key '${key}' cannot be serialized: ${reason}`);
    this.name = 'CacheSerializationError';
  }
}

/** Thrown to callers when a loader did not settle within `hardTimeout` and no stale value was left to serve. */
export class CacheLoadTimeoutError extends Error {
  constructor(
    readonly key: string,
    readonly timeout: number,
  ) {
    super(`nestjs-tiered-cache: the loader of '${key}' did not settle within ${timeout}ms (hardTimeout); the next call loads again`);
    this.name = 'CacheLoadTimeoutError';
  }
}

/**
 * Thrown instead of calling Redis while the circuit is open, or when a command outlives its deadline.
 * Never reaches a cache caller (Redis trouble degrades to L1 and the loader); seen by `L2_STORE` users.
 */
export class RedisUnavailableError extends Error {
  constructor(
    reason: string,
    /** Whether the command may still reach Redis: its outcome is unknown, so a write may have been applied. */
    readonly maybeApplied: boolean,
  ) {
    super(`nestjs-tiered-cache: Redis unavailable (${reason})`);
    this.name = 'RedisUnavailableError';
  }
}

/**
 * Thrown when work outlives its deadline (the work itself goes on): a warmer's abort reason, a
 * `WriteBehindQueue` call whose Redis does not answer.
 */
export class OperationTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperationTimeoutError';
  }
}

/** The message of a caught value, for logs and wrapped errors (a thrown non-Error is stringified). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
