import { CircuitBreaker } from './circuit-breaker.js';
import { RedisUnavailableError } from '../cache.errors.js';

class ReplyError extends Error {
  override name = 'ReplyError';
}

describe('CircuitBreaker', () => {
  it('opens after consecutive silences, but error replies (Redis answering) never open it', async () => {
    const changes: string[] = [];
    const breaker = new CircuitBreaker(3, 60_000, 1_000, (state, skipped) => changes.push(`${state}:${skipped}`));
    for (let attempt = 0; attempt < 10; attempt += 1) {
      await expect(breaker.run(() => Promise.reject(new ReplyError('ERR value is not an integer')))).rejects.toThrow('not an integer');
    }
    expect(breaker.isOpen).toBe(false);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await expect(breaker.run(() => Promise.reject(new Error('Connection is closed.')))).rejects.toThrow('closed');
    }
    expect(breaker.isOpen).toBe(true);
    await expect(breaker.run(() => Promise.resolve(1))).rejects.toBeInstanceOf(RedisUnavailableError);
    expect(changes).toEqual(['open:0']);
    breaker.stop();
  });

  it('reports closing once, with the calls it skipped while open', async () => {
    const changes: string[] = [];
    const breaker = new CircuitBreaker(1, 50, 1_000, (state, skipped) => changes.push(`${state}:${skipped}`));
    await expect(breaker.run(() => Promise.reject(new Error('Connection is closed.')))).rejects.toThrow();
    await expect(breaker.run(() => Promise.resolve(1))).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(breaker.run(() => Promise.resolve(1))).rejects.toBeInstanceOf(RedisUnavailableError);
    await new Promise((resolve) => setTimeout(resolve, 80));
    await expect(breaker.run(() => Promise.resolve(2))).resolves.toBe(2);
    await expect(breaker.run(() => Promise.resolve(3))).resolves.toBe(3);
    expect(changes).toEqual(['open:0', 'closed:2']);
    breaker.stop();
  });

  it('refuses without calling Redis when the deadline has already passed', async () => {
    const breaker = new CircuitBreaker(3, 60_000, 1_000);
    let called = false;
    const refused = breaker.run(async () => (called = true), Date.now() - 1);
    await expect(refused).rejects.toMatchObject({ maybeApplied: false });
    expect(called).toBe(false);
    breaker.stop();
  });
});
