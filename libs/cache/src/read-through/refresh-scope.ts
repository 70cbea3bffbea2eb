import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Marks code running inside `CacheService.refreshing(fn)`: reads there bypass the cache and rewrite it.
 * NOTE: a counter of open scopes lets the hit path skip the AsyncLocalStorage lookup when none is open.
 */
export class RefreshScope {
  private readonly storage = new AsyncLocalStorage<true>();
  private openScopes = 0;

  /** Whether the current async context is refreshing. */
  get isActive(): boolean {
    return this.openScopes > 0 && this.storage.getStore() === true;
  }

  /** Runs `fn` in refreshing mode. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    this.openScopes += 1;
    try {
      return await this.storage.run(true, fn);
    } finally {
      this.openScopes -= 1;
    }
  }
}
