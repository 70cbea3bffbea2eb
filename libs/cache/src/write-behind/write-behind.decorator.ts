import type { AsyncMethodDecorator, KeyTemplate } from '../decorators/cache-decorator.types.js';
import { cacheDecorator } from '../decorators/cached-method.wrapper.js';
import type { Duration } from '../options/duration.parser.js';
import { WriteBehindOperation } from './write-behind.operation.js';

/** Options of {@link WriteBehind}. */
export interface WriteBehindDecoratorOptions<Args extends unknown[] = never> {
  /** The cache it writes to and whose queue persists it (see `CacheModule.forRoot({ name })`). Default: the default cache. */
  cache?: string;
  /** The entry written at once (required). */
  key: NoInfer<KeyTemplate<Args>>;
  /** The value cached; default the first argument. */
  value?: NoInfer<(...args: Args) => unknown>;
  /** Delay before persisting; default the module's `writeBehind.delay`. */
  delay?: Duration;
  /** Total tries; default the module's `writeBehind.attempts`. */
  attempts?: number;
  /** Between tries: milliseconds, or `{ type: 'fixed' | 'exponential', delay }` as BullMQ. Default exponential from 1 s. */
  backoff?: number | { type: 'fixed' | 'exponential'; delay: number };
  ttl?: Duration;
  tags?: readonly NoInfer<KeyTemplate<Args>>[];
}

/**
 * Write-behind: the method body is the writer. A call caches the value in L1 and L2 at once (later reads
 * through the key see it), queues the persistence on BullMQ and returns; the latest value of a key is
 * persisted, never two at once, at least once. The method's arguments travel through Redis
 * (MessagePack: class instances arrive as plain objects). The provider must be a singleton.
 * @example `@WriteBehind({ key: 'product:{0.id}', delay: '2s' })`
 */
export function WriteBehind<Args extends unknown[]>(options: WriteBehindDecoratorOptions<Args>): AsyncMethodDecorator<Args> {
  return cacheDecorator<Args, unknown>(options, (site) => new WriteBehindOperation(site, options));
}
