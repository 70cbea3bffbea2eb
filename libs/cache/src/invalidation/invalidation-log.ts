import { BoundedPositionMap } from './bounded-position-map.js';

// NOTE: key positions only matter to reads in flight, tag positions to L1 entries (which live at most
// l1.ttl); a name forgotten past these bounds counts as invalidated at the floor, which is always safe.
const MAX_TRACKED_KEYS = 10_000;
const MAX_TRACKED_TAGS = 50_000;

/** What tag invalidations did to an L1 entry since it recorded its tags (see {@link InvalidationLog.tagState}). */
export const TAGS_CURRENT = 0;
/** A tag was soft-invalidated since: the entry is stale (served only when its loader fails), never fresh. */
export const TAGS_STALE = 1;
/** A tag was invalidated (hard) since: the entry is gone. */
export const TAGS_INVALID = 2;

/**
 * This instance's record of invalidations (its own and those heard from others), as positions in one
 * sequence. L1 entries record the position their tags were read at and are valid only while none of those
 * tags was invalidated after it; a load or L2 read remembers where the sequence stood when it began and
 * skips writing L1 if its key, one of its tags or the namespace was invalidated since. Memory is bounded.
 */
export class InvalidationLog {
  private sequence = 0;
  private readonly keys = new BoundedPositionMap(MAX_TRACKED_KEYS);
  /** Every tag invalidation, soft or hard. */
  private readonly tags = new BoundedPositionMap(MAX_TRACKED_TAGS);
  /** Hard tag invalidations only. */
  private readonly removedTags = new BoundedPositionMap(MAX_TRACKED_TAGS);

  /** The current position, to compare against later with {@link unchangedSince}. */
  get position(): number {
    return this.sequence;
  }

  /** How many keys and tags are remembered (bounded). */
  get size(): { keys: number; tags: number } {
    return { keys: this.keys.size, tags: this.tags.size };
  }

  recordKeys(keys: readonly string[]): void {
    this.keys.record(keys, ++this.sequence);
  }

  /** A soft invalidation leaves the tagged entries stale instead of invalid. */
  recordTags(tags: readonly string[], soft = false): void {
    const position = ++this.sequence;
    this.tags.record(tags, position);
    if (!soft) this.removedTags.record(tags, position);
  }

  recordClear(): void {
    const position = ++this.sequence;
    this.keys.reset(position);
    this.tags.reset(position);
    this.removedTags.reset(position);
  }

  /** What an L1 entry with `tags` records: the current position, per tag. */
  tagVersions(tags: readonly string[]): Record<string, number> {
    const versions: Record<string, number> = {};
    for (const tag of tags) versions[tag] = this.sequence;
    return versions;
  }

  /**
   * {@link TAGS_CURRENT} when none of the recorded tags has been invalidated since the entry recorded it,
   * {@link TAGS_STALE} when only soft invalidations happened since, else {@link TAGS_INVALID}.
   */
  tagState(recorded: Readonly<Record<string, number>>): number {
    let state = TAGS_CURRENT;
    for (const tag in recorded) {
      if (this.tags.get(tag) <= recorded[tag]) continue;
      if (this.removedTags.get(tag) > recorded[tag]) return TAGS_INVALID;
      state = TAGS_STALE;
    }
    return state;
  }

  /** Whether `key`, its `tags` and the namespace are untouched since `position`. */
  unchangedSince(position: number, key: string, tags: Iterable<string> = []): boolean {
    if (this.keys.get(key) > position) return false;
    for (const tag of tags) if (this.tags.get(tag) > position) return false;
    return true;
  }
}
