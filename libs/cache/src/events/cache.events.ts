import { Injectable, Logger } from '@nestjs/common';
import { ThrottledWarning } from '../invalidation/throttled-warning.js';
import type { CacheEventListener, CacheEventMap, CacheEventName } from './cache-event.types.js';
import { errorMessage } from '../cache.errors.js';

type AnyListener = (event: never) => unknown;

/**
 * The cache's events (`cache.events.on('stale', ...)`), to log or trace what it does. Listeners run
 * synchronously on the cache's path: one that throws (or rejects) is logged, never breaks the cache.
 * NOTE: the cache checks {@link listening} before it builds an event, so an event nobody listens to
 * costs one property read and allocates nothing (the L1 hit path included).
 */
@Injectable()
export class CacheEvents {
  /** Whether at least one listener is registered, per event. */
  readonly listening: Record<CacheEventName, boolean> = {
    hit: false,
    miss: false,
    stale: false,
    loaded: false,
    invalidated: false,
    'bus-message': false,
    'breaker-open': false,
    'breaker-closed': false,
  };
  private readonly listeners = new Map<CacheEventName, AnyListener[]>();
  private readonly failures = new ThrottledWarning(new Logger('TieredCache'));

  /** Calls `listener` on every `event`. */
  on<E extends CacheEventName>(event: E, listener: CacheEventListener<E>): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    this.listening[event] = true;
    return this;
  }

  /** Calls `listener` on the next `event` only. */
  once<E extends CacheEventName>(event: E, listener: CacheEventListener<E>): this {
    const wrapper: CacheEventListener<E> = (payload) => {
      this.off(event, wrapper);
      return listener(payload);
    };
    return this.on(event, wrapper);
  }

  /** Removes `listener` (once, if it was added several times). */
  off<E extends CacheEventName>(event: E, listener: CacheEventListener<E>): this {
    const current = this.listeners.get(event) ?? [];
    const index = current.indexOf(listener);
    if (index === -1) return this;
    const remaining = current.filter((_, position) => position !== index);
    if (remaining.length > 0) this.listeners.set(event, remaining);
    else this.listeners.delete(event);
    this.listening[event] = remaining.length > 0;
    return this;
  }

  /** Runs the listeners of `event` (callers check {@link listening} first); never throws. */
  emit<E extends CacheEventName>(event: E, payload: CacheEventMap[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        const result = (listener as CacheEventListener<E>)(payload);
        if (result instanceof Promise) result.catch((error: unknown) => this.failed(event, error));
      } catch (error) {
        this.failed(event, error);
      }
    }
  }

  private failed(event: CacheEventName, error: unknown): void {
    this.failures.warn(`A '${event}' cache event listener failed: ${errorMessage(error)}`);
  }
}
