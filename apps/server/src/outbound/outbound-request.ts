import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIPv6 } from 'node:net';
import type { OutboundPolicy } from './address-policy.ts';
import { OutboundNetworkError, OutboundRefusedError, OutboundTimeoutError } from './errors.ts';
import { parseIp, stripBrackets } from './ip.ts';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Name → addresses. Injectable so tests can play a DNS server that changes its answer. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** getaddrinfo, as fetch would use it: /etc/hosts, search domains and all. */
export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

export interface OutboundRequest {
  method: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface OutboundResponse {
  /** 3xx included: redirects are handed back, never followed (the next hop was never checked). */
  status: number;
  body: Buffer;
  /** The answer was longer than maxResponseBytes; the rest was not read. */
  truncated: boolean;
}

export interface OutboundClientOptions {
  resolve?: Resolver;
  /** DNS, connect, TLS, request and answer together. */
  timeoutMs?: number;
  maxResponseBytes?: number;
}

/**
 * The one way the server calls a URL someone else chose. The name is resolved once, every address
 * it resolved to is checked, and the connection goes to the checked address by IP (Host header and
 * SNI keep the name), so a DNS answer that changes between check and connect cannot steer it.
 */
export class OutboundClient {
  private readonly resolve: Resolver;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;

  constructor(
    private readonly policy: OutboundPolicy,
    options: OutboundClientOptions = {},
  ) {
    this.resolve = options.resolve ?? systemResolver;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 64 * 1024;
  }

  async send(rawUrl: string, request: OutboundRequest): Promise<OutboundResponse> {
    const url = this.checkedUrl(rawUrl);
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new OutboundTimeoutError(this.timeoutMs)),
      this.timeoutMs,
    );
    try {
      const target = await untilAborted(this.pick(url), controller.signal);
      return await this.exchange(url, target, request, controller.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  private checkedUrl(rawUrl: string): URL {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw new OutboundRefusedError({ reason: 'url', message: 'not a URL' });
    }
    const refusal = this.policy.checkUrl(url);
    if (refusal) throw new OutboundRefusedError(refusal);
    return url;
  }

  /** Every address must pass: a name that also resolves to 127.0.0.1 is not a public name. */
  private async pick(url: URL): Promise<ResolvedAddress> {
    const host = stripBrackets(url.hostname);
    const addresses = parseIp(host)
      ? [{ address: host, family: isIPv6(host) ? 6 : 4 } as const]
      : await this.resolve(host).catch((error: Error) => {
          throw new OutboundNetworkError(`${host} did not resolve: ${error.message}`, { cause: error });
        });
    const first = addresses[0];
    if (!first) throw new OutboundNetworkError(`${host} resolved to no address`);
    for (const { address } of addresses) {
      const refusal = this.policy.checkAddress(url.hostname, address);
      if (refusal) throw new OutboundRefusedError(refusal);
    }
    return first;
  }

  private exchange(
    url: URL,
    target: ResolvedAddress,
    request: OutboundRequest,
    signal: AbortSignal,
  ): Promise<OutboundResponse> {
    const body = request.body ?? '';
    const secure = url.protocol === 'https:';
    const options: https.RequestOptions = {
      host: target.address,
      family: target.family,
      port: url.port ? Number(url.port) : secure ? 443 : 80,
      path: `${url.pathname}${url.search}`,
      method: request.method,
      headers: { ...request.headers, 'content-length': String(Buffer.byteLength(body)), host: url.host },
      // A fresh socket each time: a pooled one could belong to another name on the same IP.
      agent: false,
      ...(secure && !parseIp(url.hostname) ? { servername: url.hostname.replace(/\.+$/, '') } : {}),
    };
    return new Promise<OutboundResponse>((resolve, reject) => {
      const req = (secure ? https : http).request(options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = (truncated: boolean) =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), truncated });
        res.on('data', (chunk: Buffer) => {
          const room = this.maxResponseBytes - size;
          chunks.push(chunk.subarray(0, room));
          size += Math.min(room, chunk.length);
          if (chunk.length > room) {
            finish(true);
            res.destroy();
          }
        });
        res.on('end', () => finish(false));
        res.on('error', (error) => reject(asOutboundError(error, signal)));
      });
      const abort = () => req.destroy(signal.reason as Error);
      if (signal.aborted) abort();
      signal.addEventListener('abort', abort, { once: true });
      req.on('close', () => signal.removeEventListener('abort', abort));
      req.on('error', (error) => reject(asOutboundError(error, signal)));
      req.end(body);
    });
  }
}

function asOutboundError(error: Error, signal: AbortSignal): Error {
  if (signal.aborted) return signal.reason as Error;
  return new OutboundNetworkError(error.message, { cause: error });
}

/** DNS cannot be cancelled, but the caller need not wait for it past the deadline. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}
