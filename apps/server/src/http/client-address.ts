import { isIP } from 'node:net';

/**
 * The address the sign-in throttle counts a client by. IPv6 by its /64: one home or host is
 * usually handed a whole /64, so counting single addresses would give an attacker 2^64 fresh
 * counters. An IPv4 client seen through an IPv6 socket (::ffff:a.b.c.d) counts as its IPv4.
 */
export function throttleAddressOf(ip: string): string {
  const bare = ip.split('%')[0] ?? ip;
  if (isIP(bare) !== 6) return bare;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped?.[1]) return mapped[1];
  return `${groupsOf(bare).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, "::" expanded, in lower-case hex. */
function groupsOf(ip: string): string[] {
  const [head = '', tail] = ip.split('::');
  const split = (part: string | undefined) => (part ? part.split(':') : []);
  // A trailing dotted IPv4 part stands for two groups (it only ever sits in the last 32 bits).
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const [front, back] = [split(head), split(tail)];
  const zeros = Array.from({ length: 8 - width(front) - width(back) }, () => '0');
  const groups = tail === undefined ? front : [...front, ...zeros, ...back];
  return groups.map((g) => (g.includes('.') ? g : Number.parseInt(g, 16).toString(16)));
}
