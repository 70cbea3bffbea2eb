/**
 * The Redis time one cache call may spend, shared by all its steps: `l2.commandTimeout` bounds the sum
 * of a call's waits on Redis (tag snapshot, read, lock, write), not each of them. Steps that run
 * concurrently are charged once.
 */
export class RedisBudget {
  private spent = 0;
  private chargedUntil = 0;

  constructor(private readonly total: number) {}

  /** The deadline of a step starting at `now`. */
  deadline(now: number): number {
    return now + this.total - this.spent;
  }

  /** Records that a step waited on Redis from `start` to `end`. */
  charge(start: number, end: number): void {
    const from = Math.max(start, this.chargedUntil);
    if (end > from) this.spent += end - from;
    this.chargedUntil = Math.max(this.chargedUntil, end);
  }
}
