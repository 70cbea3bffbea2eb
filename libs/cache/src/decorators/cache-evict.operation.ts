import type { CacheEngine } from '../engine/cache.engine.js';
import type { CacheEvictOptions, KeyTemplate } from './cache-decorator.types.js';
import { type OriginalMethod } from './cache-operation.js';
import { compileTags } from './compiled-keys.js';
import { CompiledOperation } from './compiled-operation.js';
import { DecoratorOptionsGuard } from './decorator-options.guard.js';
import { CacheDecoratorError } from '../cache.errors.js';

const ALLOWED_OPTIONS = ['cache', 'key', 'keys', 'tags', 'all', 'beforeInvocation', 'soft'];

interface CompiledCacheEvict {
  keys: (args: readonly unknown[]) => string[];
  tags: (args: readonly unknown[]) => string[];
  all: boolean;
  soft: boolean;
}

/** `@CacheEvict`: removes keys, tags or the namespace after the method succeeds (or before it runs). */
export class CacheEvictOperation extends CompiledOperation<CacheEvictOptions, CompiledCacheEvict> {
  protected async run(compiled: CompiledCacheEvict, engine: CacheEngine, method: OriginalMethod, thisArg: unknown, args: unknown[]): Promise<unknown> {
    if (this.options.beforeInvocation) await this.evict(engine, compiled, args);
    const result = await method.apply(thisArg, args);
    if (!this.options.beforeInvocation) await this.evict(engine, compiled, args);
    return result;
  }

  private async evict(engine: CacheEngine, compiled: CompiledCacheEvict, args: unknown[]): Promise<void> {
    if (compiled.all) return engine.clear();
    await Promise.all([engine.delete(compiled.keys(args), compiled.soft), engine.invalidateTags(compiled.tags(args), compiled.soft)]);
  }

  protected build(): CompiledCacheEvict {
    const { site, options } = this;
    const guard = new DecoratorOptionsGuard(this.location, '@CacheEvict');
    guard.shape(options, ALLOWED_OPTIONS);
    guard.optionalBoolean(options.beforeInvocation, 'beforeInvocation');
    const all = guard.optionalBoolean(options.all, 'all') === true;
    const soft = guard.optionalBoolean(options.soft, 'soft') === true;
    if (all && soft) throw new CacheDecoratorError(this.location, '@CacheEvict `soft` applies to keys and tags, not to `all`');
    const tags = guard.optionalArray<KeyTemplate>(options.tags, 'tags') ?? [];
    const keyTemplates = [...(options.key === undefined ? [] : [options.key]), ...(guard.optionalArray<KeyTemplate>(options.keys, 'keys') ?? [])];
    if (all && keyTemplates.length > 0) {
      throw new CacheDecoratorError(this.location, '@CacheEvict takes either `all` or `key`/`keys`, not both');
    }
    if (!all && keyTemplates.length === 0 && tags.length === 0) {
      throw new CacheDecoratorError(this.location, '@CacheEvict needs `key`, `keys`, `tags` or `all`');
    }
    return { keys: compileTags(site, keyTemplates), tags: compileTags(site, tags), all, soft };
  }
}
