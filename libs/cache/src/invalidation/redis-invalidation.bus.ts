import { randomBytes } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { CacheEvents } from '../events/cache.events.js';
import type { CacheStats } from '../stats/cache-stats.js';
import type { MemoryStore } from '../stores/memory.store.js';
import { withTimeout } from '../timing/with-timeout.js';
import { decodeBusMessage, encodeBusMessage } from './bus-message.codec.js';
import type { InvalidationBus } from './invalidation-bus.js';
import type { InvalidationMessage } from './invalidation-message.js';
import { describeInvalidations, InvalidationOutbox } from './invalidation-outbox.js';
import { ThrottledWarning } from './throttled-warning.js';
import { errorMessage } from '../cache.errors.js';

const FIRST_RETRY_DELAY = 50;
const LONGEST_RETRY_DELAY = 2_000;
const SUBSCRIBE_TIMEOUT = 3_000;

/** Connections and settings of the Redis bus. */
export interface RedisBusSettings {
  namespace: string;
  publisher: Redis | Cluster;
  subscriber: Redis | Cluster;
  /** Longest time L1 entries are served while the subscriber is disconnected. */
  maxStaleness: number;
}

type Listener = (...args: unknown[]) => void;

/**
 * L1 coherence over Redis pub/sub, one channel per namespace. Changes are merged per tick into compact
 * messages (keys or tags, never values) and published with retries (at once when the publisher is ready
 * again); received messages from other instances drop their L1 copies. While the subscriber is cut off,
 * L1 entries live at most `maxStaleness`; once it is back, L1 is cleared because messages may have been
 * missed. A received message is validated field by field: anything malformed is counted and ignored.
 */
export class RedisInvalidationBus implements InvalidationBus {
  readonly instanceId = randomBytes(9).toString('base64url');
  private readonly channel: string;
  private readonly outbox = new InvalidationOutbox();
  private handler: (message: InvalidationMessage) => void = () => undefined;
  private unsent: InvalidationMessage[] = [];
  private sending: Promise<boolean> | undefined;
  private flushScheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = FIRST_RETRY_DELAY;
  private staleTimer: NodeJS.Timeout | undefined;
  private subscribedOnce = false;
  private connected = false;
  private stopped = false;
  private readonly malformed: ThrottledWarning;
  private readonly otherVersions: ThrottledWarning;
  private readonly lateChanges: ThrottledWarning;
  private readonly attached: [Redis | Cluster, string, Listener][] = [];

  constructor(
    private readonly settings: RedisBusSettings,
    private readonly l1: MemoryStore | undefined,
    private readonly stats: CacheStats,
    private readonly logger: Logger,
    private readonly events = new CacheEvents(),
  ) {
    this.channel = `tiered-cache:${settings.namespace}:invalidations`;
    this.malformed = new ThrottledWarning(logger);
    this.otherVersions = new ThrottledWarning(logger);
    this.lateChanges = new ThrottledWarning(logger);
  }

  onRemoteInvalidation(handler: (message: InvalidationMessage) => void): void {
    this.handler = handler;
  }

  /** Subscribes and starts watching both connections; {@link stop} removes every listener added here. */
  async start(): Promise<void> {
    const { subscriber, publisher } = this.settings;
    this.listen(subscriber, 'messageBuffer', (channel, raw) => {
      if (String(channel) === this.channel && Buffer.isBuffer(raw)) this.receive(raw);
    });
    this.listen(subscriber, 'ready', () => void this.onSubscriberReady());
    this.listen(subscriber, 'close', () => this.onSubscriberLost());
    this.listen(publisher, 'ready', () => this.retryNow());
    // NOTE: bounded, so a Redis that stalls right now cannot hold up startup; the subscription completes later.
    if (subscriber.status === 'ready') await withTimeout(this.onSubscriberReady(), SUBSCRIBE_TIMEOUT, 'subscribe').catch(() => undefined);
    if (this.connected) return;
    // NOTE: until the first subscription, changes made elsewhere go unheard: L1 is bounded as if
    // disconnected, and cleared once subscribed.
    this.subscribedOnce = true;
    this.limitL1Staleness();
    this.logger.warn(`Invalidation bus not subscribed yet; L1 entries live at most ${this.settings.maxStaleness}ms until it is`);
  }

  /** Queues a change; everything queued in one tick goes out as one message. */
  publish(message: InvalidationMessage): void {
    if (this.stopped) {
      this.lateChanges.warn(`Invalidation bus: ${describeInvalidations([message])} changed after shutdown; not published`);
      return;
    }
    this.outbox.add(message);
    if (this.flushScheduled || this.retryTimer !== undefined) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  /** Publishes what is queued now (used by the change feed before it confirms a transaction). */
  publishQueued(): Promise<boolean> {
    return this.stopped ? Promise.resolve(false) : this.sendQueued();
  }

  /**
   * Shutdown: one last attempt (bounded by `timeout` ms) to publish what is queued, logging what could not
   * be sent, then {@link stop}.
   */
  async close(timeout: number): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const sent = await withTimeout(this.sendQueued(), timeout, 'shutdown').catch(() => false);
    this.stop();
    const unsent = [...this.unsent, ...this.outbox.drain()];
    if (sent && unsent.length === 0) return;
    this.logger.warn(
      `Invalidation bus: ${describeInvalidations(unsent)} not published before shutdown; ` +
        'other instances keep their L1 copies of them until those expire',
    );
  }

  /** Stops timers, removes this bus's listeners and subscription; connections are closed by their owner. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.staleTimer);
    this.retryTimer = undefined;
    for (const [emitter, event, listener] of this.attached.splice(0)) emitter.off(event, listener);
    const { subscriber } = this.settings;
    if (subscriber.status === 'ready') subscriber.unsubscribe(this.channel).catch(() => undefined);
  }

  private listen(emitter: Redis | Cluster, event: string, listener: Listener): void {
    emitter.on(event, listener);
    this.attached.push([emitter, event, listener]);
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    if (this.stopped) return;
    if (await this.sendQueued()) {
      this.retryDelay = FIRST_RETRY_DELAY;
      return;
    }
    this.scheduleRetry();
  }

  /** Publishes everything queued, one message at a time; `false` (the rest kept, in order) on a failure. */
  private sendQueued(): Promise<boolean> {
    this.sending ??= this.sendInOrder().finally(() => (this.sending = undefined));
    return this.sending;
  }

  private async sendInOrder(): Promise<boolean> {
    for (;;) {
      if (this.unsent.length === 0) this.unsent = this.outbox.drain();
      const next = this.unsent[0];
      if (next === undefined) return true;
      try {
        await this.settings.publisher.publish(this.channel, encodeBusMessage(this.instanceId, next));
      } catch {
        this.stats.recordError('l2', 'publish');
        return false;
      }
      this.unsent.shift();
    }
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, this.retryDelay);
    this.retryTimer.unref();
    this.retryDelay = Math.min(this.retryDelay * 2, LONGEST_RETRY_DELAY);
  }

  // NOTE: once the publisher is ready again, what is queued goes out now, not after the backoff.
  private retryNow(): void {
    if (this.retryTimer === undefined) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryDelay = FIRST_RETRY_DELAY;
    void this.flush();
  }

  // NOTE: this runs inside ioredis's reply handler: anything thrown here would take the process down.
  private receive(raw: Buffer): void {
    try {
      const decoded = decodeBusMessage(raw);
      if (decoded.kind === 'malformed') return this.reject('malformed message ignored');
      if (decoded.sender === this.instanceId) return;
      this.stats.invalidations.remote += 1;
      if (this.events.listening['bus-message']) {
        this.events.emit('bus-message', { sender: decoded.sender, version: decoded.version });
      }
      if (decoded.kind === 'message') return this.deliver(decoded.message);
      // NOTE: a message in another format version (a rolling upgrade) says something changed but not
      // what: dropping L1 is the only safe answer.
      this.otherVersions.warn(
        `Invalidation bus: message in wire format v${decoded.version} from another instance; L1 cleared (rolling upgrade?)`,
      );
      this.deliver({ clear: true });
    } catch (error) {
      this.reject(`decoding a message failed: ${errorMessage(error)}`);
    }
  }

  private deliver(message: InvalidationMessage): void {
    try {
      this.handler(message);
    } catch (error) {
      this.reject(`applying a message failed: ${errorMessage(error)}`);
    }
  }

  private reject(problem: string): void {
    this.stats.recordError('l2', 'bus_message');
    this.malformed.warn(`Invalidation bus: ${problem}`);
  }

  private async onSubscriberReady(): Promise<void> {
    try {
      await this.settings.subscriber.subscribe(this.channel);
    } catch (error) {
      this.logger.warn(`Invalidation bus could not subscribe: ${errorMessage(error)}`);
      return;
    }
    if (this.stopped) return;
    const reconnected = this.subscribedOnce;
    this.subscribedOnce = true;
    this.connected = true;
    clearTimeout(this.staleTimer);
    this.l1?.capTtl(undefined);
    if (!reconnected) return;
    // NOTE: messages published while we were away are lost; dropping L1 is the only safe answer.
    this.deliver({ clear: true });
    this.logger.log('Invalidation bus reconnected; L1 cleared');
  }

  private onSubscriberLost(): void {
    if (!this.connected || this.stopped) return;
    this.connected = false;
    this.limitL1Staleness();
    this.logger.warn(`Invalidation bus disconnected; L1 entries now live at most ${this.settings.maxStaleness}ms`);
  }

  private limitL1Staleness(): void {
    const { maxStaleness } = this.settings;
    this.l1?.capTtl(maxStaleness);
    clearTimeout(this.staleTimer);
    this.staleTimer = setTimeout(() => this.l1?.clearNow(), maxStaleness);
    this.staleTimer.unref();
  }
}
