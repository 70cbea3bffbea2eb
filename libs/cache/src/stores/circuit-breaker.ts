/** Thrown instead of calling Redis while the circuit is open, or when a command outlives its timeout. */
export class RedisUnavailableError extends Error {
  constructor(reason: string) {
    super(`nestjs-tiered-cache: Redis unavailable (${reason})`);
    this.name = 'RedisUnavailableError';
  }
}

/**
 * Guards every Redis call: a per-call timeout, and a circuit that opens after `threshold` consecutive
 * failures, skips Redis for `cooldown`, then lets one probe through and closes when it succeeds.
 */
export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openUntil = 0;
  private probing = false;

  constructor(
    private readonly threshold: number,
    private readonly cooldown: number,
    private readonly timeout: number,
  ) {}

  /** Whether calls are currently skipped. */
  get isOpen(): boolean {
    return this.openUntil > Date.now() || this.probing;
  }

  /** Runs `operation` under the timeout, unless the circuit is open. */
  async run<T>(operation: () => Promise<T>): Promise<T> {
    const isProbe = this.admit();
    try {
      const result = await this.withTimeout(operation());
      this.consecutiveFailures = 0;
      this.openUntil = 0;
      return result;
    } catch (error) {
      this.recordFailure();
      throw error;
    } finally {
      if (isProbe) this.probing = false;
    }
  }

  private admit(): boolean {
    if (this.probing) throw new RedisUnavailableError('circuit open');
    if (this.openUntil === 0) return false;
    if (this.openUntil > Date.now()) throw new RedisUnavailableError('circuit open');
    this.probing = true;
    return true;
  }

  private recordFailure(): void {
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures >= this.threshold) this.openUntil = Date.now() + this.cooldown;
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisUnavailableError(`no answer within ${this.timeout}ms`)), this.timeout);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}
