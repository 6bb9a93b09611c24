import { isIPv4, isIPv6 } from 'node:net';

/** An IP address as one number, so a range check is two comparisons. */
export interface Ip {
  version: 4 | 6;
  value: bigint;
}

export interface Cidr {
  version: 4 | 6;
  base: bigint;
  prefix: number;
}

/**
 * Only the canonical spellings (what DNS answers and what WHATWG URL leaves in `hostname`):
 * `0x7f.1` or `2130706433` have been normalised by `new URL` before they get here, and an
 * allow-list entry in such a spelling is refused rather than guessed at.
 */
export function parseIp(text: string): Ip | undefined {
  // A zone (`fe80::1%eth0`) picks the interface, not the address.
  const bare = stripBrackets(text).replace(/%.*$/, '');
  if (isIPv4(bare)) return { version: 4, value: parseIpv4(bare) };
  if (isIPv6(bare)) return { version: 6, value: parseIpv6(bare) };
  return undefined;
}

/** `10.0.0.0/8`, `fd00::/8`, or one address (a /32 or /128). */
export function parseCidr(text: string): Cidr | undefined {
  const [address = '', prefixText, ...rest] = text.split('/');
  const ip = parseIp(address);
  if (!ip || rest.length > 0) return undefined;
  const bits = ip.version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  return { version: ip.version, base: ip.value & mask(bits, prefix), prefix };
}

export function inCidr(ip: Ip, cidr: Cidr): boolean {
  if (ip.version !== cidr.version) return false;
  return (ip.value & mask(ip.version === 4 ? 32 : 128, cidr.prefix)) === cidr.base;
}

export function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function mask(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return all ^ ((1n << BigInt(bits - prefix)) - 1n);
}

function parseIpv4(text: string): bigint {
  return text.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

/** Expands `::` and a dotted IPv4 tail (`::ffff:127.0.0.1`) into eight groups. */
function parseIpv6(text: string): bigint {
  let groupsText = text;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    groupsText = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', rest] = groupsText.split('::');
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest ? rest.split(':') : [];
  const zeros = Array(8 - headGroups.length - restGroups.length).fill('0');
  const groups = rest === undefined ? headGroups : [...headGroups, ...zeros, ...restGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}
