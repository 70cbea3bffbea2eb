/** Version of the L2 envelope; part of every entry key so a new format never misreads an old one. */
export const ENVELOPE_FORMAT_VERSION = 'v1';

/**
 * Where things live in Redis for one namespace:
 * `ns:v1:{key}` (entry), `ns:lock:{key}` (load lock, same slot as its entry), `ns:tag:name` (tag version),
 * `ns:*` for `clear()`.
 */
export class RedisKeyLayout {
  readonly entryPrefix: string;
  readonly lockPrefix: string;
  readonly tagPrefix: string;
  readonly namespacePattern: string;

  constructor(readonly namespace: string) {
    this.entryPrefix = `${namespace}:${ENVELOPE_FORMAT_VERSION}:`;
    this.lockPrefix = `${namespace}:lock:`;
    this.tagPrefix = `${namespace}:tag:`;
    // NOTE: namespaces are validated to [A-Za-z0-9_.-]+, so the pattern cannot contain glob characters.
    this.namespacePattern = `${namespace}:*`;
  }

  /** The entry's Redis key; the hash tag keeps an entry and its lock in one Cluster slot. */
  entry(key: string): string {
    return `${this.entryPrefix}{${key}}`;
  }

  lock(key: string): string {
    return `${this.lockPrefix}{${key}}`;
  }

  tag(tag: string): string {
    return this.tagPrefix + tag;
  }
}
