import { describe, expect, it } from 'vitest';
import { AllowListError, OutboundPolicy, parseAllowList } from './address-policy.ts';
import type { AddressKind } from './address-ranges.ts';
import { parseCidr, parseIp } from './ip.ts';

const byDefault = new OutboundPolicy();

describe('OutboundPolicy.checkUrl, no allow-list', () => {
  // Many of these are the same address in the spellings people use to slip past a naive check.
  it.each<[string, AddressKind]>([
    ['http://127.0.0.1/', 'loopback'],
    ['http://127.0.0.1:8080/hook', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://0x7f.1/', 'loopback'],
    ['http://0x7f000001/', 'loopback'],
    ['http://0177.0.0.1/', 'loopback'],
    ['http://127.0.0.1./', 'loopback'],
    ['http://127.255.255.254/', 'loopback'],
    ['http://[::1]/', 'loopback'],
    ['http://[0:0:0:0:0:0:0:1]/', 'loopback'],
    ['http://[::ffff:7f00:1]/', 'loopback'],
    ['http://[::ffff:0:7f00:1]/', 'loopback'], // IPv4-translated (SIIT)
    ['http://[4000::1]/', 'reserved'], // outside 2000::/3
    ['http://[::2]/', 'reserved'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[0:0:0:0:0:ffff:7f00:1]/', 'loopback'],
    ['http://[2002:7f00:1::]/', 'loopback'],
    ['http://localhost/', 'loopback'],
    ['http://LOCALHOST./', 'loopback'],
    ['http://localhost../', 'loopback'],
    ['http://%6c%6fcalhost/', 'loopback'],
    ['http://api.localhost/', 'loopback'],
    ['http://localhost.localdomain/', 'loopback'],
    ['http://10.0.0.1/', 'private'],
    ['http://10.255.255.255/', 'private'],
    ['http://172.16.0.1/', 'private'],
    ['http://172.31.255.255/', 'private'],
    ['http://192.168.1.1/', 'private'],
    ['http://[::ffff:192.168.1.1]/', 'private'],
    ['http://100.64.0.1/', 'shared'],
    ['http://100.127.255.255/', 'shared'],
    ['http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['http://2852039166/', 'metadata'],
    ['http://0xa9.0xfe.0xa9.0xfe/', 'metadata'],
    ['http://[::ffff:169.254.169.254]/', 'metadata'],
    ['http://[64:ff9b::a9fe:a9fe]/', 'metadata'],
    ['http://[fd00:ec2::254]/', 'metadata'],
    ['http://169.254.170.2/', 'metadata'],
    ['http://100.100.100.200/', 'metadata'],
    ['http://169.254.1.1/', 'link-local'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://[febf:ffff::1]/', 'link-local'],
    ['http://[fc00::1]/', 'unique-local'],
    ['http://[fd12:3456::1]/', 'unique-local'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://239.255.255.250/', 'multicast'],
    ['http://[ff02::1]/', 'multicast'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://0/', 'unspecified'],
    ['http://[::]/', 'unspecified'],
    ['http://0.1.2.3/', 'this-network'],
    ['http://255.255.255.255/', 'broadcast'],
    ['http://192.0.2.1/', 'documentation'],
    ['http://198.51.100.7/', 'documentation'],
    ['http://203.0.113.9/', 'documentation'],
    ['http://[2001:db8::1]/', 'documentation'],
    ['http://240.0.0.1/', 'reserved'],
    ['http://198.18.0.1/', 'reserved'],
    ['http://[::127.0.0.1]/', 'reserved'],
    ['https://[2001::1]/', 'reserved'],
  ])('%s is refused as %s', (url, kind) => {
    expect(byDefault.checkUrl(new URL(url))).toMatchObject({ reason: 'address', kind });
  });

  it.each([
    'http://8.8.8.8/',
    'https://1.1.1.1/hook',
    'http://172.15.255.255/',
    'http://172.32.0.0/',
    'http://100.63.255.255/',
    'http://100.128.0.0/',
    'http://169.253.255.255/',
    'http://11.0.0.0/',
    'http://[2606:4700:4700::1111]/',
    'http://[::ffff:8.8.8.8]/',
    'http://[64:ff9b::808:808]/',
    'https://hooks.example.org/x?y=1',
    // A name is judged by what it resolves to, at delivery.
    'http://localhost.example.com/',
    'http://internal/',
  ])('%s passes (names are checked again after DNS)', (url) => {
    expect(byDefault.checkUrl(new URL(url))).toBeUndefined();
  });

  it.each([
    ['ftp://example.com/', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['gopher://example.com:70/', 'scheme'],
    ['ws://example.com/', 'scheme'],
    ['http://user:pass@example.com/', 'userinfo'],
    ['http://user@example.com/', 'userinfo'],
    ['http://:secret@example.com/', 'userinfo'],
    // The classic confusion: the host is evil.com, 127.0.0.1:80 is a user name.
    ['http://127.0.0.1:80@evil.com/', 'userinfo'],
  ])('%s is refused (%s)', (url, reason) => {
    expect(byDefault.checkUrl(new URL(url))).toMatchObject({ reason });
  });

  it('says which address and what kind', () => {
    expect(byDefault.checkUrl(new URL('http://127.0.0.1:9/'))?.message).toBe(
      '127.0.0.1 is a loopback address',
    );
    expect(byDefault.checkUrl(new URL('http://[::ffff:7f00:1]/'))?.message).toBe(
      '::ffff:7f00:1 is a loopback address (it carries 127.0.0.1)',
    );
  });
});

describe('OutboundPolicy.checkAddress (after DNS)', () => {
  it('names the host and what it resolved to', () => {
    expect(byDefault.checkAddress('hooks.example.org', '127.0.0.1')?.message).toBe(
      'hooks.example.org resolves to 127.0.0.1, a loopback address',
    );
  });

  it.each([
    ['10.1.2.3', 'private'],
    ['::1', 'loopback'],
    ['fe80::1%eth0', 'link-local'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
  ])('refuses %s (%s)', (address, kind) => {
    expect(byDefault.checkAddress('hooks.example.org', address)).toMatchObject({ kind });
  });

  it('passes a public address and refuses what is not an address at all', () => {
    expect(byDefault.checkAddress('hooks.example.org', '93.184.216.34')).toBeUndefined();
    expect(byDefault.checkAddress('hooks.example.org', '2606:4700::1')).toBeUndefined();
    expect(byDefault.checkAddress('hooks.example.org', 'nonsense')).toMatchObject({ reason: 'address' });
  });
});

describe('the allow-list', () => {
  const policy = (allow: string) => OutboundPolicy.fromConfig(allow);

  it('a single address allows exactly that address', () => {
    const p = policy('127.0.0.1');
    expect(p.checkUrl(new URL('http://127.0.0.1:8080/'))).toBeUndefined();
    expect(p.checkUrl(new URL('http://2130706433/'))).toBeUndefined();
    expect(p.checkUrl(new URL('http://127.0.0.2/'))).toMatchObject({ kind: 'loopback' });
    // Not unwrapped for the allow-list: the admin named the IPv4 spelling, not the mapped one.
    expect(p.checkUrl(new URL('http://[::ffff:127.0.0.1]/'))).toMatchObject({ kind: 'loopback' });
    expect(p.checkAddress('hooks.test', '127.0.0.1')).toBeUndefined();
  });

  it('a range allows what is inside it and nothing else', () => {
    const p = policy('10.0.0.0/8, fd00::/8');
    expect(p.checkUrl(new URL('http://10.9.9.9/'))).toBeUndefined();
    expect(p.checkUrl(new URL('http://[fd00::1]/'))).toBeUndefined();
    expect(p.checkUrl(new URL('http://[fc00::1]/'))).toMatchObject({ kind: 'unique-local' });
    expect(p.checkUrl(new URL('http://192.168.0.1/'))).toMatchObject({ kind: 'private' });
    expect(p.checkUrl(new URL('http://169.254.169.254/'))).toMatchObject({ kind: 'metadata' });
  });

  it('a host name allows that name whatever it resolves to, and *. its subdomains', () => {
    const p = policy('hooks.internal *.svc.cluster.local,localhost');
    expect(p.checkAddress('hooks.internal', '10.0.0.5')).toBeUndefined();
    expect(p.checkAddress('HOOKS.INTERNAL.', '10.0.0.5')).toBeUndefined();
    expect(p.checkAddress('grader.ns.svc.cluster.local', '10.96.0.12')).toBeUndefined();
    expect(p.checkAddress('svc.cluster.local', '10.96.0.12')).toMatchObject({ kind: 'private' });
    expect(p.checkAddress('evilsvc.cluster.local', '10.96.0.12')).toMatchObject({ kind: 'private' });
    expect(p.checkAddress('other.internal', '10.0.0.5')).toMatchObject({ kind: 'private' });
    expect(p.checkUrl(new URL('http://localhost:3000/'))).toBeUndefined();
  });

  it('does not lift the scheme or credentials rules', () => {
    const p = policy('0.0.0.0/0');
    expect(p.checkUrl(new URL('ftp://10.0.0.1/'))).toMatchObject({ reason: 'scheme' });
    expect(p.checkUrl(new URL('http://a:b@10.0.0.1/'))).toMatchObject({ reason: 'userinfo' });
  });

  it('is empty for an empty setting', () => {
    expect(parseAllowList('')).toEqual({ cidrs: [], hosts: [] });
    expect(parseAllowList(' , ')).toEqual({ cidrs: [], hosts: [] });
  });

  it.each([
    '10.0.0.0/33',
    '::1/129',
    '10.0.0.0/8/8',
    '10.0.0.0/x',
    'http://hooks.internal',
    'hooks.internal:8080',
    '0x7f.1',
    '2130706433',
    '127.1',
    'bad_name!',
  ])('refuses the entry %s, naming it', (entry) => {
    expect(() => parseAllowList(`10.0.0.0/8, ${entry}`)).toThrow(AllowListError);
    expect(() => parseAllowList(entry)).toThrow(entry);
  });
});

describe('parseIp / parseCidr', () => {
  it.each([
    ['127.0.0.1', 4, 0x7f000001n],
    ['::1', 6, 1n],
    ['[::1]', 6, 1n],
    ['::', 6, 0n],
    ['::ffff:1.2.3.4', 6, 0xffff01020304n],
    ['1::', 6, 1n << 112n],
    ['fe80::1%eth0', 6, (0xfe80n << 112n) | 1n],
  ])('%s', (text, version, value) => {
    expect(parseIp(text)).toEqual({ version, value });
  });

  it.each(['0x7f.1', '127.1', '1.2.3.4.5', '::g', 'example.com', ''])('%s is not a canonical IP', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it('masks the base of a range', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ version: 4, base: 0x0a000000n, prefix: 8 });
    expect(parseCidr('::1')).toEqual({ version: 6, base: 1n, prefix: 128 });
  });
});
