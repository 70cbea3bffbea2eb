import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { startChildApp, type ChildApp } from '../support/child-app.js';
import { freePort } from '../support/redis-server.js';
import { redisUrl, uniqueNamespace } from '../support/test-redis.js';
import { quickStart } from './readme-blocks.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
// NOTE: inside the repository, so `nestjs-tiered-cache` resolves to the built package as in an app.
const OUT = join(REPO, 'dist/test/docs');

describe("README's quick start, run as written", () => {
  let app: ChildApp | undefined;
  let base: string;

  beforeAll(async () => {
    if (!existsSync(join(REPO, 'libs/cache/dist/index.js'))) throw new Error("libs/cache/dist is missing: run 'npm run build' first (npm test does it)");
    const { code } = quickStart(readFileSync(join(REPO, 'README.md'), 'utf8'));
    // NOTE: the one change: a namespace of its own, so no earlier run's entries are read.
    const ownNamespace = code.replace("namespace: 'shop'", `namespace: '${uniqueNamespace('quick-start')}'`);
    if (ownNamespace === code) throw new Error("the quick start no longer sets namespace: 'shop'");
    const { outputText } = ts.transpileModule(ownNamespace, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, experimentalDecorators: true, emitDecoratorMetadata: true },
    });
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'quick-start.js'), outputText);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = await startChildApp(join(OUT, 'quick-start.js'), { PORT: String(port), REDIS_URL: redisUrl() }, `${base}/products/1`);
  }, 40_000);

  afterAll(() => app?.stop());

  it('serves a product and a category, and a change of category invalidates both lists', async () => {
    const get = async (path: string): Promise<unknown> => (await fetch(`${base}${path}`)).json();
    expect(await get('/products?category=living')).toEqual([{ id: 2, name: 'Lamp', category: 'living', price: 40 }]);
    expect(await get('/products?category=kitchen')).toHaveLength(1);
    expect(await get('/products/1')).toMatchObject({ name: 'Teapot', category: 'kitchen' });

    const put = await fetch(`${base}/products/1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'living' }),
    });

    expect(put.status).toBe(200);
    expect(await get('/products/1')).toMatchObject({ name: 'Teapot', category: 'living' });
    expect(await get('/products?category=living')).toHaveLength(2);
    expect(await get('/products?category=kitchen')).toEqual([]);
    expect((await fetch(`${base}/products/3`)).status).toBe(404);
  });
});
