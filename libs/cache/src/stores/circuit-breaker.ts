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

/** A call in flight, tracked for its deadline; settled once through {@link CircuitBreaker.settle}. */
export interface InFlightCall {
  readonly deadline: number;
  /** Whether this call is the probe of a half-open circuit. */
  readonly probe: boolean;
  /** Fails the caller (the deadline passed); the breaker has already counted the failure. */
  fail(error: Error): void;
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
    let probe: boolean;
    try {
      probe = this.enter(deadline);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return new Promise<T>((resolve, reject) => {
      const call: InFlightCall = { deadline, probe, fail: reject };
      this.track(call);
      operation().then(
        (value) => this.settle(call, true) && resolve(value),
        (error: Error) => this.settle(call, isErrorReply(error)) && reject(error),
      );
    });
  }

  /**
   * Admits a call that its owner tracks and settles itself ({@link track}, {@link settle}): the batched
   * reads, which need no closure per call. Returns whether it is the probe; throws
   * {@link RedisUnavailableError} when refused (circuit open, or no time left).
   */
  enter(deadline: number): boolean {
    if (deadline <= Date.now()) throw new RedisUnavailableError('no time left for this call', false);
    return this.admit();
  }

  /** Watches an admitted call's deadline until it is settled. */
  track(call: InFlightCall): void {
    this.inFlight.add(call);
    this.sweeper ??= this.startSweeper();
  }

  /**
   * Records the outcome of a call once (a timed-out call may still answer later); `false` if it was
   * already settled, in which case its caller has been told.
   */
  settle(call: InFlightCall, succeeded: boolean): boolean {
    if (!this.inFlight.delete(call)) return false;
    if (call.probe) this.probing = false;
    if (succeeded) this.close();
    else this.recordFailure();
    return true;
  }

  /** Closes the circuit: the connection just proved that Redis answers again (its 'ready' event). */
  reset(): void {
    this.probing = false;
    this.close();
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

  private close(): void {
    this.consecutiveFailures = 0;
    if (this.openUntil !== 0) this.onStateChange('closed', this.refusedWhileOpen);
    this.openUntil = 0;
    this.refusedWhileOpen = 0;
  }

  private recordFailure(): void {
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures < this.threshold) return;
    if (this.openUntil === 0) this.onStateChange('open', 0);
    this.openUntil = Date.now() + this.cooldown;
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
      if (call.deadline <= now && this.settle(call, false)) call.fail(new RedisUnavailableError('no answer before the deadline', true));
    }
  }
}
