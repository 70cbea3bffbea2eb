import { randomBytes } from 'node:crypto';

/** The Redis every test may use: the throwaway server of the global setup, or `REDIS_URL`. */
export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('No Redis for tests: install redis-server (apt-get install redis-server) or set REDIS_URL');
  return url;
}

/** A namespace no other test uses. */
export function uniqueNamespace(prefix = 't'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Polls `predicate` until it holds; throws after `timeout` ms. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  { timeout = 5_000, interval = 20 }: { timeout?: number; interval?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeout}ms`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Settles like `work`, or fails the test after `seconds` (instead of hanging until Jest's timeout). */
export async function within<T>(seconds: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still pending after ${seconds}s`)), seconds * 1_000);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
