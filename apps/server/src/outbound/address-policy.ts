import { type AddressKind, classifyIp, describeKind } from './address-ranges.ts';
import { type Cidr, inCidr, parseCidr, parseIp, stripBrackets } from './ip.ts';

/** Why a destination was refused. Stable: logs and API error details carry it. */
export type RefusalReason = 'url' | 'scheme' | 'userinfo' | 'address';

export interface Refusal {
  reason: RefusalReason;
  kind?: AddressKind;
  message: string;
}

/** What an admin lets through even though it is not public: ranges, exact names, `*.` suffixes. */
export interface AllowList {
  cidrs: Cidr[];
  hosts: string[];
}

export class AllowListError extends Error {
  readonly code = 'outbound_allow_list_invalid';
  override name = 'AllowListError';
}

const HOST_NAME = /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Comma- or whitespace-separated: `10.0.0.0/8, fd00::/8, hooks.internal, *.svc.cluster.local`. */
export function parseAllowList(text: string): AllowList {
  const allow: AllowList = { cidrs: [], hosts: [] };
  const bad: string[] = [];
  for (const entry of text.split(/[\s,]+/).filter(Boolean)) {
    const cidr = parseCidr(entry);
    if (cidr) allow.cidrs.push(cidr);
    else if (isHostName(normalizeHost(entry))) allow.hosts.push(normalizeHost(entry));
    else bad.push(entry);
  }
  if (bad.length > 0) {
    throw new AllowListError(`not an IP address, CIDR range or host name: ${bad.join(', ')}`);
  }
  return allow;
}

/**
 * Where the server may send a request of its own: public addresses, plus what the admin allows.
 * Pure: the caller resolves names and asks about each address it got (see outbound-request.ts).
 */
export class OutboundPolicy {
  constructor(private readonly allow: AllowList = { cidrs: [], hosts: [] }) {}

  static fromConfig(allowList: string): OutboundPolicy {
    return new OutboundPolicy(parseAllowList(allowList));
  }

  /** What can be told from the URL alone: scheme, credentials, a literal IP or a loopback name. */
  checkUrl(url: URL): Refusal | undefined {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { reason: 'scheme', message: `${url.protocol} URLs are not allowed (only http: and https:)` };
    }
    if (url.username || url.password) {
      // Credentials in the URL end up in logs and in the run's stored webhookUrl.
      return {
        reason: 'userinfo',
        message: 'URLs with a user name or password (user:pass@) are not allowed',
      };
    }
    const host = normalizeHost(url.hostname);
    if (this.allowsHost(host)) return undefined;
    if (parseIp(host)) return this.checkAddress(host, stripBrackets(host));
    if (isLoopbackName(host)) {
      return { reason: 'address', kind: 'loopback', message: `${host} is a loopback name` };
    }
    return undefined;
  }

  /** One address `hostname` resolved to (or the literal itself). */
  checkAddress(hostname: string, address: string): Refusal | undefined {
    const host = normalizeHost(hostname);
    if (this.allowsHost(host)) return undefined;
    const ip = parseIp(address);
    if (!ip) return { reason: 'address', message: `${address} is not an IP address` };
    if (this.allow.cidrs.some((cidr) => inCidr(ip, cidr))) return undefined;
    const special = classifyIp(ip);
    if (!special) return undefined;
    const carried = special.embeddedIpv4 ? ` (it carries ${special.embeddedIpv4})` : '';
    const what = `${describeKind(special.kind)}${carried}`;
    const message =
      parseIp(host) !== undefined ? `${address} is ${what}` : `${host} resolves to ${address}, ${what}`;
    return { reason: 'address', kind: special.kind, message };
  }

  private allowsHost(host: string): boolean {
    return this.allow.hosts.some((entry) =>
      entry.startsWith('*.') ? host.endsWith(entry.slice(1)) : host === entry,
    );
  }
}

/** A name `new URL` keeps as a name: a numeric last label (`0x7f.1`) would be read as IPv4. */
function isHostName(entry: string): boolean {
  const last = entry.slice(entry.lastIndexOf('.') + 1);
  return HOST_NAME.test(entry) && !/^(0x[0-9a-f]*|\d+)$/.test(last);
}

/** Lower case, no trailing dots: `LOCALHOST.` and `localhost` are one host. */
function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/\.+$/, '');
}

/** Names resolvers answer with loopback without asking DNS (RFC 6761, Debian's /etc/hosts). */
function isLoopbackName(host: string): boolean {
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === 'localhost.localdomain' ||
    host === 'ip6-localhost' ||
    host === 'ip6-loopback'
  );
}
