import { FailureThrottle } from './failure-throttle.js';

describe('FailureThrottle', () => {
  it('holds a key for its window, for the stale value it fell back to only', async () => {
    const throttle = new FailureThrottle();
    expect(throttle.holds('k', 1)).toBe(false);
    throttle.start('k', 60, 1);
    throttle.start('zero', 0, 1);
    expect(throttle.holds('k', 1)).toBe(true);
    expect(throttle.holds('zero', 1)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(throttle.holds('k', 1)).toBe(false);
    throttle.start('k', 60_000, 1);
    expect(throttle.holds('k', 2)).toBe(false);
    expect(throttle.holds('k', 1)).toBe(false);
  });

  it('forgets the oldest keys past its bound', () => {
    const throttle = new FailureThrottle();
    for (let index = 0; index <= 10_000; index += 1) throttle.start(`k${index}`, 60_000, 1);
    expect(throttle.holds('k0', 1)).toBe(false);
    expect(throttle.holds('k1', 1)).toBe(true);
    expect(throttle.holds('k10000', 1)).toBe(true);
  });
});
