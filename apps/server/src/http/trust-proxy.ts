import { isIP } from 'node:net';

/**
 * Fastify's `trustProxy`: whose X-Forwarded-For to believe for `request.ip`, which the sign-in
 * throttle counts per address. Off by default: without a proxy that overwrites the header, any
 * client could claim a new address per attempt and never be throttled by address.
 */
export type TrustProxy = boolean | number | string[];

/** Named ranges proxy-addr (Fastify's) understands. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * `false`/`''`: off. `true`: every hop (only when nothing but the proxy can reach the server).
 * A number: that many hops. Else a comma list of proxy addresses, CIDRs or named ranges.
 */
export function parseTrustProxy(value: boolean | number | string | string[]): TrustProxy {
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(checkedEntry);
  if (typeof value === 'number') return hops(value);
  const text = value.trim().toLowerCase();
  if (['', 'false', 'off', 'no'].includes(text)) return false;
  if (['true', 'on', 'yes'].includes(text)) return true;
  if (/^\d+$/.test(text)) return hops(Number(text));
  return text.split(',').map(checkedEntry);
}

function hops(n: number): number | false {
  if (!Number.isInteger(n) || n < 0) throw new Error(`trustProxy: ${n} is not a number of proxy hops.`);
  return n === 0 ? false : n;
}

function checkedEntry(raw: string): string {
  const entry = raw.trim().toLowerCase();
  if (NAMED_RANGES.has(entry)) return entry;
  const [address = '', prefix] = entry.split('/');
  const family = isIP(address);
  const maxPrefix = family === 6 ? 128 : 32;
  const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= maxPrefix);
  if (family === 0 || !prefixOk) {
    throw new Error(
      `trustProxy: "${entry}" is not an address, a CIDR or one of loopback, linklocal, uniquelocal.`,
    );
  }
  return entry;
}
