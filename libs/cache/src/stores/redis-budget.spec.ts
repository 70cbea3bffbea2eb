import { RedisBudget } from './redis-budget.js';

describe('RedisBudget', () => {
  it('shares one allowance between sequential steps', () => {
    const budget = new RedisBudget(500);
    expect(budget.deadline(1_000)).toBe(1_500);
    budget.charge(1_000, 1_300);
    expect(budget.deadline(2_000)).toBe(2_200);
    budget.charge(2_000, 2_200);
    expect(budget.deadline(3_000)).toBe(3_000);
  });

  it('charges concurrent steps once', () => {
    const budget = new RedisBudget(500);
    budget.charge(1_000, 1_100);
    budget.charge(1_000, 1_150);
    expect(budget.deadline(2_000)).toBe(2_350);
  });
});
