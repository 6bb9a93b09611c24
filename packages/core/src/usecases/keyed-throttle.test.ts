import { describe, expect, it } from 'vitest';
import { KeyedThrottle } from './keyed-throttle.ts';

describe('KeyedThrottle', () => {
  it('acts once per key per interval, again after it, and again when the clock went back', () => {
    const throttle = new KeyedThrottle(1_000);
    expect(throttle.due('a', 10_000)).toBe(true);
    expect(throttle.due('a', 10_999)).toBe(false);
    expect(throttle.due('b', 10_999)).toBe(true);
    expect(throttle.due('a', 11_000)).toBe(true);
    expect(throttle.due('a', 5_000)).toBe(true);
  });

  it('is due again at once for a key whose action was forgotten (it failed)', () => {
    const throttle = new KeyedThrottle(1_000);
    expect(throttle.due('a', 0)).toBe(true);
    throttle.forget('a');
    expect(throttle.due('a', 1)).toBe(true);
  });

  it('stays bounded: keys past their interval are dropped once there are many', () => {
    const throttle = new KeyedThrottle(1_000);
    for (let i = 0; i < 10_000; i++) throttle.due(`k${i}`, 0);
    expect(throttle.due('late', 5_000)).toBe(true);
    // The old keys were forgotten, and act again at once.
    expect(throttle.due('k1', 5_000)).toBe(true);
  });
});
