/** Thrown instead of calling Redis while the circuit is open, or when a command outlives its timeout. */
export class RedisUnavailableError extends Error {
  constructor(reason: string) {
    super(`nestjs-tiered-cache: Redis unavailable (${reason})`);
    this.name = 'RedisUnavailableError';
  }
}

interface InFlightCall {
  deadline: number;
  reject: (error: Error) => void;
}

const LONGEST_SWEEP_INTERVAL = 50;
const BATCHED_COMMAND_ALLOWANCE = 0.1;

/**
 * Guards every Redis call: a timeout, and a circuit that opens after `threshold` consecutive failures,
 * skips Redis for `cooldown`, then lets one probe through and closes when it succeeds.
 * NOTE: timeouts come from one periodic sweep over the calls in flight rather than a timer per call,
 * which costs more than the Redis round trip itself at high throughput.
 */
export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openUntil = 0;
  private probing = false;
  private readonly inFlight = new Set<InFlightCall>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly threshold: number,
    private readonly cooldown: number,
    private readonly timeout: number,
  ) {}

  /** Whether calls are currently skipped. */
  get isOpen(): boolean {
    return this.openUntil > Date.now() || this.probing;
  }

  /**
   * Runs `operation` under the timeout, unless the circuit is open. A batch of `commands` gets a
   * proportionally longer deadline, so a large `setMany` is not mistaken for a dead Redis.
   */
  run<T>(operation: () => Promise<T>, commands = 1): Promise<T> {
    let isProbe: boolean;
    try {
      isProbe = this.admit();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return new Promise<T>((resolve, reject) => {
      const call: InFlightCall = {
        deadline: Date.now() + this.timeout + (commands - 1) * BATCHED_COMMAND_ALLOWANCE,
        reject: (error) => this.settle(call, isProbe, false) && reject(error),
      };
      this.inFlight.add(call);
      this.sweeper ??= this.startSweeper();
      operation().then(
        (value) => this.settle(call, isProbe, true) && resolve(value),
        (error: Error) => call.reject(error),
      );
    });
  }

  /** Closes the circuit: the connection just proved that Redis answers again (its 'ready' event). */
  reset(): void {
    this.consecutiveFailures = 0;
    this.openUntil = 0;
    this.probing = false;
  }

  /** Stops the timeout sweep (module shutdown). */
  stop(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
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

  /** Records the outcome of a call once (a timed-out call may still answer later); false if already settled. */
  private settle(call: InFlightCall, isProbe: boolean, succeeded: boolean): boolean {
    if (!this.inFlight.delete(call)) return false;
    if (isProbe) this.probing = false;
    if (succeeded) {
      this.consecutiveFailures = 0;
      this.openUntil = 0;
    } else {
      this.recordFailure();
    }
    return true;
  }

  private startSweeper(): NodeJS.Timeout {
    const interval = Math.max(1, Math.min(LONGEST_SWEEP_INTERVAL, Math.floor(this.timeout / 4)));
    const sweeper = setInterval(() => this.sweep(), interval);
    sweeper.unref();
    return sweeper;
  }

  private sweep(): void {
    const now = Date.now();
    for (const call of this.inFlight) {
      if (call.deadline <= now) call.reject(new RedisUnavailableError(`no answer within ${this.timeout}ms`));
    }
  }
}
