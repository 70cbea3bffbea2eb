/**
 * Names (keys or tags) → the log position of their last invalidation, holding at most `capacity` names.
 * Past it the oldest names are forgotten and the floor rises to their position: a name not held is
 * assumed invalidated at the floor, so forgetting can only make something look invalidated, never valid.
 */
export class BoundedPositionMap {
  private readonly positions = new Map<string, number>();
  private floorPosition = 0;

  constructor(private readonly capacity: number) {}

  /** The position below which nothing is known any more. */
  get floor(): number {
    return this.floorPosition;
  }

  get size(): number {
    return this.positions.size;
  }

  /** When `name` was last invalidated, or the floor when that is not known. */
  get(name: string): number {
    return this.positions.get(name) ?? this.floorPosition;
  }

  /** Records that `names` were invalidated at `position` (not lower than any position recorded before). */
  record(names: readonly string[], position: number): void {
    for (const name of names) {
      // NOTE: delete first so the map stays ordered by position and the oldest name is always first.
      this.positions.delete(name);
      this.positions.set(name, position);
    }
    this.trim();
  }

  /** Forgets every name: all of them count as invalidated at `position`. */
  reset(position: number): void {
    this.positions.clear();
    this.floorPosition = position;
  }

  // NOTE: evicts a tenth at once: each pass over the map's head costs as much as the deletions it skips.
  private trim(): void {
    if (this.positions.size <= this.capacity) return;
    const target = Math.floor(this.capacity * 0.9);
    for (const [name, position] of this.positions) {
      if (this.positions.size <= target) return;
      this.positions.delete(name);
      this.floorPosition = position;
    }
  }
}
