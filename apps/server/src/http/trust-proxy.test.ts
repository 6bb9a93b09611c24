import { describe, expect, it } from 'vitest';
import { parseTrustProxy } from './trust-proxy.ts';

describe('parseTrustProxy', () => {
  it('is off by default and for the ways of saying no', () => {
    for (const off of [false, '', 'false', 'off', '0', 0]) expect(parseTrustProxy(off)).toBe(false);
  });

  it('trusts every hop, a number of hops, or a list of proxies', () => {
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy(true)).toBe(true);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy(1)).toBe(1);
    expect(parseTrustProxy('10.0.0.0/8, loopback ,fd00::/8,192.0.2.7')).toEqual([
      '10.0.0.0/8',
      'loopback',
      'fd00::/8',
      '192.0.2.7',
    ]);
    expect(parseTrustProxy(['Loopback', '10.1.2.3'])).toEqual(['loopback', '10.1.2.3']);
  });

  it('refuses what is neither, naming the entry', () => {
    expect(() => parseTrustProxy('proxy.internal')).toThrow(/"proxy.internal"/);
    expect(() => parseTrustProxy('10.0.0.0/33')).toThrow(/10.0.0.0\/33/);
    expect(() => parseTrustProxy(-1)).toThrow(/hops/);
  });
});
