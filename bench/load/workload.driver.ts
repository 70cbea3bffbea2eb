import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import type { StaleReadTracker } from './stale-read.tracker.js';
import { drawZipf, seededRandom, zipfTable } from './zipf.generator.js';

/** The three requests of the workload. */
export type Endpoint = 'product' | 'list' | 'put';

export const ENDPOINTS: readonly Endpoint[] = ['product', 'list', 'put'];

/** What one run drives. */
export interface WorkloadOptions {
  /** Base URLs of the instances; connection `i` goes to `origins[i % origins.length]`. */
  origins: readonly string[];
  connections: number;
  durationMs: number;
  /** Share of `GET /products?category=` and of `PUT /products/:id`; the rest is `GET /products/:id`. */
  listShare: number;
  writeShare: number;
  seed: number;
  /** Products `1..products`, drawn by Zipf rank (rank k is product k); a list is the category of a drawn product. */
  products: number;
  zipfExponent: number;
  categories: number;
  /** Checks reads for stale prices (and numbers the PUT prices); absent for the floor. */
  tracker: StaleReadTracker | undefined;
}

/** What one run measured. */
export interface WorkloadResult {
  elapsedMs: number;
  requests: number;
  /** Non-200 answers and failed requests. */
  errors: number;
  /** Latencies in milliseconds, per endpoint, in completion order. */
  latencies: Record<Endpoint, number[]>;
}

interface ProductBody {
  id: number;
  price: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Drives the mixed workload over keep-alive connections (one undici `Client` each) until the duration is up. */
export async function driveWorkload(options: WorkloadOptions): Promise<WorkloadResult> {
  const table = zipfTable(options.products, options.zipfExponent);
  const result: WorkloadResult = { elapsedMs: 0, requests: 0, errors: 0, latencies: { product: [], list: [], put: [] } };
  const clients = Array.from(
    { length: options.connections },
    (_, index) => new Client(options.origins[index % options.origins.length], { pipelining: 1, keepAliveTimeout: 60_000 }),
  );
  const started = performance.now();
  const deadline = started + options.durationMs;
  try {
    await Promise.all(
      clients.map((client, index) => {
        const origin = options.origins[index % options.origins.length];
        return runConnection(client, origin, seededRandom(options.seed * 1_000 + index), table, deadline, options, result);
      }),
    );
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
  result.elapsedMs = performance.now() - started;
  return result;
}

async function runConnection(
  client: Client,
  origin: string,
  random: () => number,
  table: Float64Array,
  deadline: number,
  options: WorkloadOptions,
  result: WorkloadResult,
): Promise<void> {
  while (performance.now() < deadline) {
    const draw = random();
    const id = drawZipf(table, random);
    const endpoint: Endpoint = draw < options.writeShare ? 'put' : draw < options.writeShare + options.listShare ? 'list' : 'product';
    const path = endpoint === 'list' ? `/products?category=category-${id % options.categories}` : `/products/${id}`;
    const sentAt = performance.now();
    try {
      const ok =
        endpoint === 'put' ? await put(client, origin, id, sentAt, options.tracker) : await read(client, origin, path, sentAt, options.tracker);
      result.latencies[endpoint].push(performance.now() - sentAt);
      result.requests += 1;
      if (!ok) result.errors += 1;
    } catch {
      result.errors += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

async function read(client: Client, origin: string, path: string, sentAt: number, tracker: StaleReadTracker | undefined): Promise<boolean> {
  const response = await client.request({ path, method: 'GET' });
  if (response.statusCode !== 200) {
    await response.body.dump();
    return false;
  }
  const body = (await response.body.json()) as ProductBody | ProductBody[];
  if (tracker?.checking) {
    for (const product of Array.isArray(body) ? body : [body]) tracker.check(origin, path, product.id, product.price, sentAt);
  }
  return true;
}

async function put(client: Client, origin: string, id: number, sentAt: number, tracker: StaleReadTracker | undefined): Promise<boolean> {
  const price = tracker ? tracker.newPrice() : 1;
  const record = tracker?.sent(origin, id, price, sentAt);
  const response = await client.request({ path: `/products/${id}`, method: 'PUT', headers: JSON_HEADERS, body: JSON.stringify({ price }) });
  await response.body.dump();
  if (response.statusCode !== 200) return false;
  if (record) record.resolvedAt = performance.now();
  return true;
}

/**
 * Reads every product `1..products` and every category list once over `connections` keep-alive
 * connections (the instances in turn), so measured runs start from a warm cache as a running service does.
 */
export async function primeCache(origins: readonly string[], connections: number, products: number, categories: number): Promise<void> {
  const paths = [
    ...Array.from({ length: products }, (_, index) => `/products/${index + 1}`),
    ...Array.from({ length: categories }, (_, index) => `/products?category=category-${index}`),
  ];
  let next = 0;
  const clients = Array.from({ length: connections }, (_, index) => new Client(origins[index % origins.length], { pipelining: 1 }));
  try {
    await Promise.all(
      clients.map(async (client) => {
        for (let path = paths[next++]; path !== undefined; path = paths[next++]) {
          const response = await client.request({ path, method: 'GET' });
          await response.body.dump();
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}
