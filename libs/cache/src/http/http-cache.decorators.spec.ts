import { CacheKey, CacheTTL, CacheTags, HTTP_CACHE_KEY_METADATA, HTTP_CACHE_TTL_METADATA } from './http-cache.decorators.js';

describe('HTTP cache decorators', () => {
  it('fail when the class is defined, naming the handler', () => {
    expect(() => {
      class Products {
        @CacheKey('p:{param.id}')
        find(): void {}
      }
      return Products;
    }).toThrow(/'p:\{param\.id\}' on Products\.find/);
    expect(() => {
      class Products {
        @CacheTags('ok:{params.id}', 'bad:{params.id')
        find(): void {}
      }
      return Products;
    }).toThrow(/on Products\.find has an unbalanced brace/);
    expect(() => {
      @CacheTTL('5 minutes' as '5m')
      class Products {}
      return Products;
    }).toThrow(/@CacheTTL on Products/);
  });

  it('store their argument under @nestjs/cache-manager’s metadata keys, on methods and classes', () => {
    const ttl = () => 5;
    @CacheTTL(1_000)
    class Products {
      @CacheKey('all')
      @CacheTTL(ttl)
      find(): void {}
    }
    expect(Reflect.getMetadata(HTTP_CACHE_KEY_METADATA, Products.prototype.find)).toBe('all');
    expect(Reflect.getMetadata(HTTP_CACHE_TTL_METADATA, Products.prototype.find)).toBe(ttl);
    expect(Reflect.getMetadata(HTTP_CACHE_TTL_METADATA, Products)).toBe(1_000);
    expect(HTTP_CACHE_KEY_METADATA).toBe('cache_module:cache_key');
  });
});
