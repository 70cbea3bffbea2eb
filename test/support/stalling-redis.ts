import { Redis } from 'ioredis';

const never = (): Promise<never> => new Promise<never>(() => undefined);

/**
 * A queue connection whose duplicates (BullMQ's blocking worker connections) can be made to hang for good,
 * as seen on a Redis Cluster after its queue master restarted: the blocking read never answers and
 * reconnecting never settles. Only the duplicates made so far hang; later ones work.
 */
export class StallingRedis extends Redis {
  private readonly copies: Redis[] = [];

  override duplicate(...args: Parameters<Redis['duplicate']>): Redis {
    const copy = super.duplicate(...args);
    this.copies.push(copy);
    return copy;
  }

  /** Makes every duplicate made so far hang: its blocking reads and connects never settle. */
  stallDuplicates(): void {
    for (const copy of this.copies.splice(0)) Object.assign(copy, { bzpopmin: never, connect: never });
  }
}
