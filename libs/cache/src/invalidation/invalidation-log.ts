const MAX_TRACKED_KEYS = 10_000;

/**
 * This instance's record of invalidations (its own and those heard from others), as positions in one
 * sequence. L1 entries record the positions of their tags' last invalidation and are valid only while
 * those hold; a load or L2 read remembers where the sequence stood when it began and skips writing L1
 * if its key, one of its tags or the namespace was invalidated since.
 */
export class InvalidationLog {
  private sequence = 0;
  private clearedAt = 0;
  private readonly keys = new Map<string, number>();
  private readonly tags = new Map<string, number>();

  /** The current position, to compare against later with {@link unchangedSince}. */
  get position(): number {
    return this.sequence;
  }

  recordKeys(keys: readonly string[]): void {
    const position = ++this.sequence;
    // NOTE: key positions only matter to reads in flight; past the bound, forgetting them and treating
    // everything in flight as invalidated is always safe.
    if (this.keys.size + keys.length > MAX_TRACKED_KEYS) this.forgetKeys(position);
    for (const key of keys) this.keys.set(key, position);
  }

  recordTags(tags: readonly string[]): void {
    const position = ++this.sequence;
    for (const tag of tags) this.tags.set(tag, position);
  }

  recordClear(): void {
    this.clearedAt = ++this.sequence;
    this.keys.clear();
  }

  /** The positions an L1 entry with `tags` records. */
  tagVersions(tags: readonly string[]): Record<string, number> {
    const versions: Record<string, number> = {};
    for (const tag of tags) versions[tag] = this.tags.get(tag) ?? 0;
    return versions;
  }

  /** Whether no recorded tag has been invalidated since the entry recorded it. */
  tagsCurrent(recorded: Readonly<Record<string, number>>): boolean {
    for (const tag in recorded) {
      if ((this.tags.get(tag) ?? 0) !== recorded[tag]) return false;
    }
    return true;
  }

  /** Whether `key`, its `tags` and the namespace are untouched since `position`. */
  unchangedSince(position: number, key: string, tags: Iterable<string> = []): boolean {
    if (this.clearedAt > position || (this.keys.get(key) ?? 0) > position) return false;
    for (const tag of tags) if ((this.tags.get(tag) ?? 0) > position) return false;
    return true;
  }

  private forgetKeys(position: number): void {
    this.keys.clear();
    this.clearedAt = position;
  }
}
