import { randomBytes } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import type { CacheStats } from '../stats/cache-stats.js';
import type { MemoryStore } from '../stores/memory.store.js';
import { decodeBusMessage, encodeBusMessage } from './bus-message.codec.js';
import type { InvalidationBus } from './invalidation-bus.js';
import type { InvalidationMessage } from './invalidation-message.js';
import { InvalidationOutbox } from './invalidation-outbox.js';

const FIRST_RETRY_DELAY = 50;
const LONGEST_RETRY_DELAY = 2_000;

/** Connections and settings of the Redis bus. */
export interface RedisBusSettings {
  namespace: string;
  publisher: Redis | Cluster;
  subscriber: Redis | Cluster;
  /** Longest time L1 entries are served while the subscriber is disconnected. */
  maxStaleness: number;
}

/**
 * L1 coherence over Redis pub/sub, one channel per namespace. Changes are merged per tick into compact
 * messages (keys or tags, never values) and published with retries; received messages from other
 * instances drop their L1 copies. While the subscriber is cut off, L1 entries live at most
 * `maxStaleness`; once it is back, L1 is cleared because messages may have been missed.
 */
export class RedisInvalidationBus implements InvalidationBus {
  readonly instanceId = randomBytes(9).toString('base64url');
  private readonly channel: string;
  private readonly outbox = new InvalidationOutbox();
  private handler: (message: InvalidationMessage) => void = () => undefined;
  private flushScheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = FIRST_RETRY_DELAY;
  private staleTimer: NodeJS.Timeout | undefined;
  private subscribedOnce = false;
  private connected = false;
  private stopped = false;

  constructor(
    private readonly settings: RedisBusSettings,
    private readonly l1: MemoryStore | undefined,
    private readonly stats: CacheStats,
    private readonly logger: Logger,
  ) {
    this.channel = `tiered-cache:${settings.namespace}:invalidations`;
  }

  onRemoteInvalidation(handler: (message: InvalidationMessage) => void): void {
    this.handler = handler;
  }

  /** Subscribes and starts watching the subscriber connection. */
  async start(): Promise<void> {
    const { subscriber } = this.settings;
    subscriber.on('messageBuffer', (channel: Buffer, raw: Buffer) => {
      if (channel.toString() === this.channel) this.receive(raw);
    });
    subscriber.on('ready', () => void this.onSubscriberReady());
    subscriber.on('close', () => this.onSubscriberLost());
    if (subscriber.status === 'ready') await this.onSubscriberReady();
  }

  /** Queues a change; everything queued in one tick goes out as one message. */
  publish(message: InvalidationMessage): void {
    this.outbox.add(message);
    if (this.flushScheduled || this.retryTimer !== undefined) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  /** Stops timers; connections are closed by their owner. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.staleTimer);
  }

  /** Publishes everything queued; resolves once sent or handed to the retry loop. */
  async flush(): Promise<void> {
    this.flushScheduled = false;
    this.retryTimer = undefined;
    const messages = this.outbox.drain();
    for (const [index, message] of messages.entries()) {
      try {
        await this.settings.publisher.publish(this.channel, encodeBusMessage(this.instanceId, message));
      } catch {
        this.stats.recordError('l2', 'publish');
        for (const unsent of messages.slice(index)) this.outbox.add(unsent);
        this.scheduleRetry();
        return;
      }
    }
    this.retryDelay = FIRST_RETRY_DELAY;
    if (!this.outbox.isEmpty) this.publish({});
  }

  private scheduleRetry(): void {
    this.retryTimer = setTimeout(() => void this.flush(), this.retryDelay);
    this.retryTimer.unref();
    this.retryDelay = Math.min(this.retryDelay * 2, LONGEST_RETRY_DELAY);
  }

  private receive(raw: Buffer): void {
    const decoded = decodeBusMessage(raw);
    if (decoded === undefined || decoded.sender === this.instanceId) return;
    this.stats.invalidations.remote += 1;
    this.handler(decoded.message);
  }

  private async onSubscriberReady(): Promise<void> {
    try {
      await this.settings.subscriber.subscribe(this.channel);
    } catch (error) {
      this.logger.warn(`Invalidation bus could not subscribe: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const reconnected = this.subscribedOnce;
    this.subscribedOnce = true;
    this.connected = true;
    clearTimeout(this.staleTimer);
    this.l1?.capTtl(undefined);
    if (!reconnected) return;
    // NOTE: messages published while we were away are lost; dropping L1 is the only safe answer.
    this.handler({ clear: true });
    this.logger.log('Invalidation bus reconnected; L1 cleared');
  }

  private onSubscriberLost(): void {
    if (!this.connected || this.stopped) return;
    this.connected = false;
    const { maxStaleness } = this.settings;
    this.l1?.capTtl(maxStaleness);
    this.staleTimer = setTimeout(() => this.l1?.clearNow(), maxStaleness);
    this.staleTimer.unref();
    this.logger.warn(`Invalidation bus disconnected; L1 entries now live at most ${maxStaleness}ms`);
  }
}
