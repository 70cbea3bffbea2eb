import type { Logger } from '@nestjs/common';

const DEFAULT_INTERVAL = 60_000;

/**
 * Logs a recurring problem at most once per interval, with how many occurrences were not logged, so a
 * flood (e.g. a stream of malformed bus messages) cannot flood the logs.
 */
export class ThrottledWarning {
  private lastLoggedAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly interval = DEFAULT_INTERVAL,
  ) {}

  warn(problem: string): void {
    const now = Date.now();
    if (now - this.lastLoggedAt < this.interval) {
      this.suppressed += 1;
      return;
    }
    const more = this.suppressed === 0 ? '' : ` (${this.suppressed} more since the last report)`;
    this.logger.warn(`${problem}${more}`);
    this.lastLoggedAt = now;
    this.suppressed = 0;
  }
}
