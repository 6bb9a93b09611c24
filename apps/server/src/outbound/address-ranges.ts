import { type Cidr, formatIpv4, type Ip, inCidr, parseCidr } from './ip.ts';

/** Why an address is not a public destination. Stable: logs and API details carry it. */
export type AddressKind =
  | 'metadata'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link-local'
  | 'unique-local'
  | 'multicast'
  | 'unspecified'
  | 'this-network'
  | 'broadcast'
  | 'documentation'
  | 'reserved';

const DESCRIPTION: Record<AddressKind, string> = {
  metadata: 'a cloud metadata address',
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  shared: 'a carrier-grade NAT (RFC 6598) address',
  'link-local': 'a link-local address',
  'unique-local': 'a unique-local (private IPv6) address',
  multicast: 'a multicast address',
  unspecified: 'the unspecified address',
  'this-network': 'a "this network" (0.0.0.0/8) address',
  broadcast: 'the broadcast address',
  documentation: 'a documentation address',
  reserved: 'a reserved address',
};

export function describeKind(kind: AddressKind): string {
  return DESCRIPTION[kind];
}

/** First match wins, so the narrow ranges (metadata, broadcast) come before the ones around them. */
const RANGES: ReadonlyArray<readonly [string, AddressKind]> = [
  // AWS, GCP, Azure, OpenStack; ECS task credentials; Alibaba; AWS over IPv6.
  ['169.254.169.254/32', 'metadata'],
  ['169.254.170.2/32', 'metadata'],
  ['100.100.100.200/32', 'metadata'],
  ['fd00:ec2::254/128', 'metadata'],
  ['0.0.0.0/32', 'unspecified'],
  ['0.0.0.0/8', 'this-network'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  // IPv4-compatible (deprecated); the mapped, NAT64 and 6to4 forms are unwrapped below instead.
  ['::/96', 'reserved'],
  ['64:ff9b:1::/48', 'reserved'],
  ['100::/64', 'reserved'],
  // IETF protocol assignments, Teredo among them (its IPv4 is obfuscated, so no unwrapping).
  ['2001::/23', 'reserved'],
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  // Site-local: deprecated, but some stacks still route it as private.
  ['fec0::/10', 'reserved'],
  ['ff00::/8', 'multicast'],
];

const PARSED: ReadonlyArray<readonly [Cidr, AddressKind]> = RANGES.map(([text, kind]) => {
  const cidr = parseCidr(text);
  if (!cidr) throw new Error(`bad built-in range ${text}`);
  return [cidr, kind] as const;
});

/** IPv6 forms that carry an IPv4 address the packet ends up at: mapped, NAT64, 6to4. */
const EMBEDDING: ReadonlyArray<readonly [Cidr, (value: bigint) => bigint]> = [
  [parseCidr('::ffff:0:0/96')!, (value) => value & 0xffffffffn],
  // IPv4-translated (SIIT, RFC 2765): routed back to IPv4 where a translator is.
  [parseCidr('::ffff:0:0:0/96')!, (value) => value & 0xffffffffn],
  [parseCidr('64:ff9b::/96')!, (value) => value & 0xffffffffn],
  [parseCidr('2002::/16')!, (value) => (value >> 80n) & 0xffffffffn],
];

export interface Classification {
  kind: AddressKind;
  /** Set when an IPv6 address was judged by the IPv4 address inside it. */
  embeddedIpv4?: string;
}

/** What kind of special address this is, or undefined for an ordinary public one. */
export function classifyIp(ip: Ip): Classification | undefined {
  if (ip.version === 6) {
    for (const [cidr, extract] of EMBEDDING) {
      if (!inCidr(ip, cidr)) continue;
      const value = extract(ip.value);
      const inner = classifyIp({ version: 4, value });
      return inner ? { kind: inner.kind, embeddedIpv4: formatIpv4(value) } : undefined;
    }
  }
  for (const [cidr, kind] of PARSED) if (inCidr(ip, cidr)) return { kind };
  // IPv6 outside global unicast is never a public destination, whatever a list of exceptions
  // above would miss: only 2000::/3 is allocated for the internet.
  if (ip.version === 6 && !inCidr(ip, GLOBAL_UNICAST_V6)) return { kind: 'reserved' };
  return undefined;
}

const GLOBAL_UNICAST_V6 = parseCidr('2000::/3')!;
