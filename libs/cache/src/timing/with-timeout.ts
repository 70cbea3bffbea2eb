import { OperationTimeoutError } from '../cache.errors.js';

/**
 * Settles like `work`, or rejects with {@link OperationTimeoutError} after `milliseconds`. With `unref`,
 * the timer alone does not keep the process alive (a guard against work that may never settle).
 */
export async function withTimeout<T>(work: Promise<T>, milliseconds: number, message: string, unref = false): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OperationTimeoutError(message)), milliseconds);
    if (unref) timer.unref();
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
