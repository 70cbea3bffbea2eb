import type { InvalidationMessage, InvalidationPublisher } from './invalidation-message.js';

/** Injection token of the {@link InvalidationBus}. */
export const INVALIDATION_BUS = Symbol('nestjs-tiered-cache:invalidation-bus');

/** Carries invalidations between the instances that share one namespace. */
export interface InvalidationBus extends InvalidationPublisher {
  /** This instance's id; messages carry it so an instance ignores its own. */
  readonly instanceId: string;
  /** Registers what to do when another instance invalidated something (or after missed messages). */
  onRemoteInvalidation(handler: (message: InvalidationMessage) => void): void;
  /**
   * Publishes what is queued now: `true` once it was, `false` on Redis trouble (it stays queued and
   * retried). Absent: publishing is immediate.
   */
  publishQueued?(): Promise<boolean>;
}

/** The bus of an app that runs alone (`bus: false` or no L2): nothing to tell anyone. */
export class LocalOnlyBus implements InvalidationBus {
  constructor(readonly instanceId: string) {}

  publish(): void {}

  onRemoteInvalidation(): void {}

  publishQueued(): Promise<boolean> {
    return Promise.resolve(true);
  }
}
