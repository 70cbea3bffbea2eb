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
