import { FailureThrottle } from './failure-throttle.js';

describe('FailureThrottle', () => {
  it('holds a key for its window, and ends early when told', async () => {
    const throttle = new FailureThrottle();
    expect(throttle.holds('k')).toBe(false);
    throttle.start('k', 60);
    throttle.start('zero', 0);
    expect(throttle.holds('k')).toBe(true);
    expect(throttle.holds('zero')).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(throttle.holds('k')).toBe(false);
    throttle.start('k', 60_000);
    throttle.end('k');
    expect(throttle.holds('k')).toBe(false);
  });

  it('forgets the oldest keys past its bound', () => {
    const throttle = new FailureThrottle();
    for (let index = 0; index <= 10_000; index += 1) throttle.start(`k${index}`, 60_000);
    expect(throttle.holds('k0')).toBe(false);
    expect(throttle.holds('k1')).toBe(true);
    expect(throttle.holds('k10000')).toBe(true);
  });
});
