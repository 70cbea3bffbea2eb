import { escapeHashTag, escapeKeySegment } from '../keys/key-escaping.js';

/**
 * Version of the L2 format (entry key layout and envelope); part of every entry key so a new format never
 * misreads an old one. v2: the hash-tagged key is escaped ({@link escapeHashTag}).
 */
export const ENVELOPE_FORMAT_VERSION = 'v2';

/**
 * Where things live in Redis for one namespace `ns`:
 * - `ns:v2:{k}`: the entry of key `k`, where `k` is the key with `%`, `{`, `}` and lone surrogates
 *   percent-encoded, so the hash tag is exactly `k` (a key such as `}x{` cannot move it);
 * - `ns:lock:{k}`: its load lock, in the same Cluster slot;
 * - `ns:tag:name`: a tag's version;
 * - `ns:warm:...`: warmer locks, apart from every user key;
 * - `ns:*`: what `clear()` deletes.
 */
export class RedisKeyLayout {
  readonly entryPrefix: string;
  readonly lockPrefix: string;
  readonly tagPrefix: string;
  readonly warmPrefix: string;
  readonly namespacePattern: string;

  constructor(readonly namespace: string) {
    this.entryPrefix = `${namespace}:${ENVELOPE_FORMAT_VERSION}:`;
    this.lockPrefix = `${namespace}:lock:`;
    this.tagPrefix = `${namespace}:tag:`;
    this.warmPrefix = `${namespace}:warm:`;
    // NOTE: namespaces are validated to [A-Za-z0-9_.-]+, so the pattern cannot contain glob characters.
    this.namespacePattern = `${namespace}:*`;
  }

  /** The entry's Redis key; the hash tag keeps an entry and its lock in one Cluster slot. */
  entry(key: string): string {
    return `${this.entryPrefix}{${escapeHashTag(key)}}`;
  }

  lock(key: string): string {
    return `${this.lockPrefix}{${escapeHashTag(key)}}`;
  }

  tag(tag: string): string {
    return this.tagPrefix + tag;
  }

  /** A warmer's key (`running`, or a tick): the name is escaped, so warmers never share a key. */
  warm(warmer: string, suffix: string): string {
    return `${this.warmPrefix}${escapeKeySegment(warmer)}:${suffix}`;
  }
}
