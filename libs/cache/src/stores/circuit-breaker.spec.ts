import { CircuitBreaker, RedisUnavailableError } from './circuit-breaker.js';

class ReplyError extends Error {
  override name = 'ReplyError';
}

describe('CircuitBreaker', () => {
  it('opens after consecutive silences, but error replies (Redis answering) never open it', async () => {
    const breaker = new CircuitBreaker(3, 60_000, 1_000);
    for (let attempt = 0; attempt < 10; attempt += 1) {
      await expect(breaker.run(() => Promise.reject(new ReplyError('ERR value is not an integer')))).rejects.toThrow('not an integer');
    }
    expect(breaker.isOpen).toBe(false);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await expect(breaker.run(() => Promise.reject(new Error('Connection is closed.')))).rejects.toThrow('closed');
    }
    expect(breaker.isOpen).toBe(true);
    await expect(breaker.run(() => Promise.resolve(1))).rejects.toBeInstanceOf(RedisUnavailableError);
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
