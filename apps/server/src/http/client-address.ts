import { isIP } from 'node:net';

/** What a client whose address the socket did not give is counted as: all such clients together. */
export const UNKNOWN_ADDRESS = 'unknown';

/**
 * The address the sign-in throttle counts a client by. IPv6 by its /56: a home or a small customer
 * is routinely delegated a /56 (RIPE-690), some a /48, so counting single addresses — or even
 * /64s — would give one customer 2^64 (or 256 … 65,536) fresh counters; a /56 leaves a /48 holder
 * 256. An IPv4 client seen through an IPv6 socket (::ffff:a.b.c.d) counts as its IPv4. No address
 * at all (a socket already closed) is one fixed key rather than an error: a sign-in must never
 * become a 500 because of how the client is counted.
 */
export function throttleAddressOf(ip: string | undefined): string {
  if (!ip) return UNKNOWN_ADDRESS;
  const bare = ip.split('%')[0] ?? ip;
  if (isIP(bare) !== 6) return bare;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped?.[1]) return mapped[1];
  const [a, b, c, d = '0'] = groupsOf(bare);
  // The /56 ends in the high byte of the fourth group.
  const fourth = (Number.parseInt(d, 16) & 0xff00).toString(16);
  return `${a}:${b}:${c}:${fourth}::/56`;
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
