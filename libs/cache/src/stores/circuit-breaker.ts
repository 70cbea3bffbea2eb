import { RedisUnavailableError } from '../cache.errors.js';

/** Whether a failed write may still have been applied by Redis (anything but a refusal before sending or an error reply). */
export function mayHaveApplied(error: unknown): boolean {
  if (error instanceof RedisUnavailableError) return error.maybeApplied;
  return !isErrorReply(error);
}

/** Whether an error is an answer from Redis (an error reply): Redis is up, the command was wrong. */
export function isErrorReply(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

interface InFlightCall {
  deadline: number;
  reject: (error: Error) => void;
}

const LONGEST_SWEEP_INTERVAL = 50;
const BATCHED_COMMAND_ALLOWANCE = 0.5;

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

  private refusedWhileOpen = 0;

  constructor(
    private readonly threshold: number,
    private readonly cooldown: number,
    private readonly timeout: number,
    /** Told once when the circuit opens, and once when it closes again (with the calls it skipped meanwhile). */
    private readonly onStateChange: (state: 'open' | 'closed', skippedCalls: number) => void = () => undefined,
  ) {}

  /** Whether calls are currently skipped. */
  get isOpen(): boolean {
    return this.openUntil > Date.now() || this.probing;
  }

  /** Whether the circuit is open: from the moment it opens until a call succeeds again (probes included). */
  get isTripped(): boolean {
    return this.openUntil !== 0;
  }

  /** The deadline of a call starting now. */
  deadline(): number {
    return Date.now() + this.timeout;
  }

  /** `deadline` extended for a batch of `commands` commands, so a large `setMany` is not mistaken for a dead Redis. */
  forBatch(deadline: number, commands: number): number {
    return deadline + Math.max(0, commands - 1) * BATCHED_COMMAND_ALLOWANCE;
  }

  /**
   * Runs `operation` until `deadline` (epoch ms), unless the circuit is open. An error reply counts as
   * Redis answering: only silence and connection failures open the circuit.
   */
  run<T>(operation: () => Promise<T>, deadline = this.deadline()): Promise<T> {
    if (deadline <= Date.now()) return Promise.reject(new RedisUnavailableError('no time left for this call', false));
    let isProbe: boolean;
    try {
      isProbe = this.admit();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return new Promise<T>((resolve, reject) => {
      const call: InFlightCall = {
        deadline,
        reject: (error) => this.settle(call, isProbe, isErrorReply(error)) && reject(error),
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
    this.probing = false;
    if (this.openUntil !== 0) this.onStateChange('closed', this.refusedWhileOpen);
    this.openUntil = 0;
    this.refusedWhileOpen = 0;
  }

  /** Stops the timeout sweep (module shutdown). */
  stop(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private admit(): boolean {
    if (this.openUntil === 0) return false;
    if (this.probing || this.openUntil > Date.now()) {
      this.refusedWhileOpen += 1;
      throw new RedisUnavailableError('circuit open', false);
    }
    this.probing = true;
    return true;
  }

  private recordFailure(): void {
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures < this.threshold) return;
    if (this.openUntil === 0) this.onStateChange('open', 0);
    this.openUntil = Date.now() + this.cooldown;
  }

  /** Records the outcome of a call once (a timed-out call may still answer later); false if already settled. */
  private settle(call: InFlightCall, isProbe: boolean, succeeded: boolean): boolean {
    if (!this.inFlight.delete(call)) return false;
    if (isProbe) this.probing = false;
    if (succeeded) {
      this.consecutiveFailures = 0;
      if (this.openUntil !== 0) this.onStateChange('closed', this.refusedWhileOpen);
      this.openUntil = 0;
      this.refusedWhileOpen = 0;
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
      if (call.deadline <= now) call.reject(new RedisUnavailableError('no answer before the deadline', true));
    }
  }
}
