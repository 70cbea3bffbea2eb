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
