import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startChildApp, type ChildApp } from './support/child-app.js';
import { freePort } from './support/redis-server.js';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

const MAIN = fileURLToPath(new URL('../dist/apps/demo/src/main.js', import.meta.url));

describe('the built demo (what npm start runs)', () => {
  let app: ChildApp | undefined;
  let base: string;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run 'npm run build' first (npm test does it)`);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = { PORT: String(port), REDIS_URL: redisUrl(), SEED_PRODUCTS: '200', CACHE_NAMESPACE: uniqueNamespace('demo') };
    app = await startChildApp(MAIN, env, `${base}/products/1`, (response) => response.status === 200);
  }, 40_000);

  afterAll(() => app?.stop());

  it('serves the catalogue and exposes the cache metrics at /metrics', async () => {
    await fetch(`${base}/products/2`);
    const product = await (await fetch(`${base}/products/2`)).json();
    expect(product).toMatchObject({ id: 2, name: 'Product 2' });

    const metrics = await (await fetch(`${base}/metrics`)).text();

    expect(metrics).toMatch(/^cache_hits_total\{namespace="demo-[0-9a-f]+",cache_layer="l1"\} [1-9]/m);
    expect(metrics).toMatch(/^cache_misses_total\{namespace="demo-[0-9a-f]+",cache_layer="l2"\} [1-9]/m);
    expect(metrics).toMatch(/^cache_keys\{namespace="demo-[0-9a-f]+",cache_layer="l1"\} [1-9]/m);
    expect(metrics).toContain('cache_operation_duration_seconds_bucket');
  });
});
