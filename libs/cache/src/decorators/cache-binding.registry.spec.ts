import type { CacheEngine } from '../engine/cache.engine.js';
import { bindClass, bindInstance, resolveCache, unbindClass } from './cache-binding.registry.js';

const cacheA = { name: 'a' } as unknown as CacheEngine;
const cacheB = { name: 'b' } as unknown as CacheEngine;

describe('cache binding registry', () => {
  it('binds an instance that froze itself, instead of failing startup', () => {
    class Frozen {
      constructor() {
        Object.freeze(this);
      }
    }
    const instance = new Frozen();
    expect(() => bindInstance(instance, cacheA)).not.toThrow();
    expect(resolveCache(instance)).toBe(cacheA);
  });

  it('resolves a class only while exactly one running application provides it', () => {
    class PerRequest {}
    expect(bindClass(PerRequest.prototype, cacheA)).toBe(1);
    expect(resolveCache(new PerRequest())).toBe(cacheA);
    expect(bindClass(PerRequest.prototype, cacheB)).toBe(2);
    expect(resolveCache(new PerRequest())).toBeUndefined();
    unbindClass(PerRequest.prototype, cacheA);
    expect(resolveCache(new PerRequest())).toBe(cacheB);
  });
});
