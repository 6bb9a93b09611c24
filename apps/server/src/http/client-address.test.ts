import { describe, expect, it } from 'vitest';
import { throttleAddressOf } from './client-address.ts';

describe('throttleAddressOf', () => {
  it('keeps an IPv4 address, also when it arrives mapped into IPv6', () => {
    expect(throttleAddressOf('192.0.2.7')).toBe('192.0.2.7');
    expect(throttleAddressOf('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(throttleAddressOf('::FFFF:192.0.2.7')).toBe('192.0.2.7');
  });

  it('counts IPv6 clients by their /56, however the address is written', () => {
    expect(throttleAddressOf('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:0::/56');
    expect(throttleAddressOf('2001:0DB8:0001:0002:ffff::1')).toBe('2001:db8:1:0::/56');
    expect(throttleAddressOf('2001:db8:1:abcd::1')).toBe('2001:db8:1:ab00::/56');
    expect(throttleAddressOf('2001:db8::1')).toBe('2001:db8:0:0::/56');
    expect(throttleAddressOf('::1')).toBe('0:0:0:0::/56');
    expect(throttleAddressOf('fe80::1%eth0')).toBe('fe80:0:0:0::/56');
    expect(throttleAddressOf('64:ff9b::192.0.2.7')).toBe('64:ff9b:0:0::/56');
  });

  it('gives one customer’s /56 one counter: all 256 of its /64s count together', () => {
    const keys = new Set(
      Array.from({ length: 256 }, (_, i) => throttleAddressOf(`2001:db8:7:${(0x4200 + i).toString(16)}::1`)),
    );
    expect([...keys]).toEqual(['2001:db8:7:4200::/56']);
    expect(throttleAddressOf('2001:db8:7:4300::1')).not.toBe('2001:db8:7:4200::/56');
  });

  it('passes through what is not an address, and counts a missing one under a fixed key', () => {
    expect(throttleAddressOf('unknown')).toBe('unknown');
    expect(throttleAddressOf(undefined)).toBe('unknown');
    expect(throttleAddressOf('')).toBe('unknown');
  });
});
