import { ResolvedOptionsMemo } from './resolved-options.memo.js';

interface Options {
  ttl?: number;
  tags?: string[];
}

function memo(): { memo: ResolvedOptionsMemo<Options, object, { ttl: number }>; calls: () => number } {
  let calls = 0;
  const resolve = (options: Options): { ttl: number } => {
    calls += 1;
    if (options.ttl !== undefined && options.ttl < 0) throw new RangeError('ttl');
    return { ttl: options.ttl ?? 0 };
  };
  return { memo: new ResolvedOptionsMemo<Options, object, { ttl: number }>(['ttl', 'tags'], resolve), calls: () => calls };
}

describe('ResolvedOptionsMemo', () => {
  const defaults = {};

  it('resolves the same options object once', () => {
    const { memo: plans, calls } = memo();
    const options = { ttl: 5 };
    const first = plans.get(options, defaults);
    expect(plans.get(options, defaults)).toBe(first);
    expect(calls()).toBe(1);
  });

  it('resolves again after the object was changed in place, or for other defaults', () => {
    const { memo: plans, calls } = memo();
    const options: Options = { ttl: 5 };
    plans.get(options, defaults);
    options.ttl = 7;
    expect(plans.get(options, defaults)).toEqual({ ttl: 7 });
    options.tags = ['a'];
    plans.get(options, defaults);
    plans.get(options, {});
    expect(calls()).toBe(4);
  });

  it('resolves again when an array field (tags) was changed in place, so the new items are validated', () => {
    const { memo: plans, calls } = memo();
    const tags = ['a'];
    const options: Options = { tags };
    plans.get(options, defaults);
    plans.get(options, defaults);
    tags.push('b');
    plans.get(options, defaults);
    tags[0] = 'c';
    plans.get(options, defaults);
    expect(calls()).toBe(3);
  });

  it('remembers nothing when resolving throws', () => {
    const { memo: plans, calls } = memo();
    const options = { ttl: -1 };
    expect(() => plans.get(options, defaults)).toThrow(RangeError);
    expect(() => plans.get(options, defaults)).toThrow(RangeError);
    expect(calls()).toBe(2);
  });
});
