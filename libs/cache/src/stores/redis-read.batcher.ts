import type { Redis } from 'ioredis';
import { isErrorReply, type CircuitBreaker, type InFlightCall } from './circuit-breaker.js';

/** A GET waiting for its batch's reply; also the circuit breaker's record of it. */
class PendingRead implements InFlightCall {
  resolve!: (raw: Buffer | null) => void;
  fail!: (error: Error) => void;
  readonly promise: Promise<Buffer | null>;

  constructor(
    readonly deadline: number,
    readonly probe: boolean,
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.fail = reject;
    });
  }
}

/** Keys per MGET: a larger burst is split, so no single reply holds Redis up for long. */
const MAX_BATCH = 256;

/**
 * Coalesces the GETs issued in one tick into one MGET, on a standalone or Sentinel connection; each
 * read keeps its own deadline through the circuit breaker.
 * NOTE: an ioredis command costs the client far more CPU and garbage than Redis spends on a GET: at
 * 64 reads in flight, one MGET per tick makes an L2 hit cheaper for the client than a bare GET. A key
 * holding another Redis type reads as missing (MGET answers nil where GET fails with WRONGTYPE).
 */
export class RedisReadBatcher {
  private keys: string[] = [];
  private pending: PendingRead[] = [];
  private readonly flush = (): void => this.send();

  constructor(
    private readonly redis: Redis,
    private readonly breaker: CircuitBreaker,
  ) {}

  /** The raw value of `key`, read with the other reads of this tick; rejects past `deadline` or while the circuit is open. */
  get(key: string, deadline: number): Promise<Buffer | null> {
    let read: PendingRead;
    try {
      read = new PendingRead(deadline, this.breaker.enter(deadline));
    } catch (error) {
      return Promise.reject(error as Error);
    }
    this.breaker.track(read);
    if (this.keys.length === 0) process.nextTick(this.flush);
    this.keys.push(key);
    this.pending.push(read);
    return read.promise;
  }

  private send(): void {
    const { keys, pending } = this;
    this.keys = [];
    this.pending = [];
    for (let start = 0; start < keys.length; start += MAX_BATCH) {
      const end = Math.min(keys.length, start + MAX_BATCH);
      this.redis.mgetBuffer(end - start === keys.length ? keys : keys.slice(start, end)).then(
        (values) => this.answer(pending, start, end, values),
        (error: Error) => this.refuse(pending, start, end, error),
      );
    }
  }

  private answer(pending: readonly PendingRead[], start: number, end: number, values: readonly (Buffer | null)[]): void {
    for (let index = start; index < end; index += 1) {
      const read = pending[index];
      if (this.breaker.settle(read, true)) read.resolve(values[index - start] ?? null);
    }
  }

  private refuse(pending: readonly PendingRead[], start: number, end: number, error: Error): void {
    const answered = isErrorReply(error);
    for (let index = start; index < end; index += 1) {
      const read = pending[index];
      if (this.breaker.settle(read, answered)) read.fail(error);
    }
  }
}
