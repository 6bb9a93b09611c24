import { describe, expect, it } from 'vitest';
import { throttleAddressOf } from './client-address.ts';

describe('throttleAddressOf', () => {
  it('keeps an IPv4 address, also when it arrives mapped into IPv6', () => {
    expect(throttleAddressOf('192.0.2.7')).toBe('192.0.2.7');
    expect(throttleAddressOf('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(throttleAddressOf('::FFFF:192.0.2.7')).toBe('192.0.2.7');
  });

  it('counts IPv6 clients by their /64, however the address is written', () => {
    expect(throttleAddressOf('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(throttleAddressOf('2001:0DB8:0001:0002:ffff::1')).toBe('2001:db8:1:2::/64');
    expect(throttleAddressOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(throttleAddressOf('::1')).toBe('0:0:0:0::/64');
    expect(throttleAddressOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(throttleAddressOf('64:ff9b::192.0.2.7')).toBe('64:ff9b:0:0::/64');
  });

  it('passes through what is not an address (a test double, an odd proxy value)', () => {
    expect(throttleAddressOf('unknown')).toBe('unknown');
  });
});
