import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import type { Socket } from 'node:net';
import { type Duplex, Transform } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A student's web server gets at most this much per request; more is a 413 (JSON), not a cut-off. */
export const PROXY_BODY_LIMIT = 10 * 1024 * 1024;

/** How long the student's server may take to start answering (after the request's last byte) before a 504. */
export const PROXY_UPSTREAM_TIMEOUT_MS = 30_000;

/**
 * Every proxied page runs in an opaque origin: its scripts cannot read Aperture's pages or call
 * its API with the viewer's cookie, though they run, submit forms and open windows.
 */
export const PROXY_CSP = 'sandbox allow-scripts allow-forms allow-popups';

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection, never forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * The viewer's credentials never reach the student's server (`cookie`, `authorization`), and
 * the student's server never sets a cookie on Aperture's origin (it could overwrite the viewer's
 * session). Everything else passes unchanged, but `Host`.
 */
export function requestHeaders(headers: IncomingHttpHeaders, host: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    if (name === 'cookie' || name === 'authorization' || name === 'host') continue;
    out[name] = value;
  }
  out['host'] = host;
  // A body sent chunked arrives here unframed (`transfer-encoding` is hop-by-hop). Node frames a
  // POST or PUT on its own, but not a GET, HEAD or DELETE: there it would write the bytes raw and
  // the student's server would read them as a second request (smuggling). Frame it always.
  if (headers['transfer-encoding'] !== undefined) out['transfer-encoding'] = 'chunked';
  return out;
}

/**
 * What of the student's server's answer reaches the browser: an allowlist. Anything else could
 * act on Aperture's origin as the viewer — `Clear-Site-Data` (log them out), `Strict-Transport-
 * Security`, `NEL`/`Report-To`/`Reporting-Endpoints`, `Alt-Svc`, `Set-Cookie` (replace their
 * session), `WWW-Authenticate` (a credentials prompt in Aperture's name).
 */
const RESPONSE_ALLOWED = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-disposition',
  'cache-control',
  'expires',
  'etag',
  'last-modified',
  'vary',
  'accept-ranges',
  'content-range',
  'date',
  'age',
  // The student's own CSP is kept: two policies are both enforced, so it can only tighten ours.
  'content-security-policy',
]);

/**
 * Where the lab's page is on Aperture (`/lab-sessions/<link>` or `/labs/:d/:u/:c/:port`) and
 * the `Host` its server was sent: a redirect is kept only when it stays in the lab.
 */
export interface ProxyPlace {
  prefix: string;
  host: string;
}

/**
 * A relative `Location` passes unchanged (the browser resolves it against the lab page); an
 * absolute one to the lab's own address (`http://<component>:<port>/…`, what a server builds
 * from `Host`) becomes the same path under the lab's prefix; any other absolute one (another
 * site, `//other`) is dropped: Aperture is no open redirect.
 */
export function labLocation(location: string, place: ProxyPlace): string | undefined {
  // Browsers drop tabs and newlines from a URL (`/\t/other` is `//other`): check what they follow.
  const value = location.replace(/[\t\n\r]/g, '').trim();
  if (!/^[a-z][a-z\d+.-]*:/i.test(value) && !/^[/\\]{2}/.test(value)) return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  // (`URL` drops a default port: `http://web:80/` has host `web`, the Host sent was `web:80`.)
  const host = `${url.hostname}:${url.port || '80'}`;
  if (url.protocol !== 'http:' || host.toLowerCase() !== place.host.toLowerCase()) return undefined;
  return `${place.prefix}${url.pathname}${url.search}${url.hash}`;
}

export function responseHeaders(headers: IncomingHttpHeaders, place?: ProxyPlace): OutgoingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && RESPONSE_ALLOWED.has(name)) out[name] = value;
  }
  const location =
    typeof headers.location === 'string' && place ? labLocation(headers.location, place) : undefined;
  if (location !== undefined) out['location'] = location;
  // The page's links carry its lab link (lab-link.ts): never hand it to another site as a Referer.
  out['referrer-policy'] = 'no-referrer';
  out['x-content-type-options'] = 'nosniff';
  const own = out['content-security-policy'];
  out['content-security-policy'] =
    own === undefined ? PROXY_CSP : [PROXY_CSP, ...(Array.isArray(own) ? own : [String(own)])];
  return out;
}

/**
 * The part of the raw URL after its first `segments` path segments (`/labs/:deployment/:user/
 * :component/:port` is 5, `/lab-sessions/:link` is 2), bytes unchanged, query included.
 */
export function upstreamPath(rawUrl: string, segments: number): string {
  const rest = rawUrl.slice(prefixLength(rawUrl, segments));
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** The raw URL's first `segments` path segments (`/lab-sessions/<link>`), bytes unchanged. */
export function upstreamPrefix(rawUrl: string, segments: number): string {
  return rawUrl.slice(0, prefixLength(rawUrl, segments)).replace(/[?].*$/, '');
}

function prefixLength(rawUrl: string, segments: number): number {
  let at = 0;
  for (let i = 0; i < segments; i++) {
    const next = rawUrl.slice(at + 1).search(/[/?]/);
    at = next < 0 ? rawUrl.length : at + 1 + next;
  }
  return at;
}

class BodyTooLarge extends Error {}
class UpstreamTimeout extends Error {}

function sendJsonError(reply: FastifyReply, status: number, code: string, message: string): void {
  const raw = reply.raw;
  if (raw.headersSent) {
    raw.destroy();
    return;
  }
  // The rest of the request body is not wanted: the connection ends after the answer.
  raw.writeHead(status, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
  raw.end(JSON.stringify({ error: { code, message } }), () => closeAfterUpload(reply.request.raw));
}

/** How long a refused upload may go on arriving (read and dropped) before its connection is cut. */
const LINGER_MS = 2_000;

/**
 * Cutting a connection while the client still uploads makes the kernel answer its next bytes
 * with a reset, and the client may lose the answer already sent with it (a 413 then reads as
 * "connection reset"). So the rest is read and dropped until the upload ends, for LINGER_MS at most.
 */
function closeAfterUpload(request: IncomingMessage): void {
  const socket = request.socket;
  if (!socket || socket.destroyed) return;
  const cut = () => {
    socket.destroy();
  };
  const timer = setTimeout(cut, LINGER_MS);
  socket.once('close', () => clearTimeout(timer));
  if (request.readableEnded) {
    cut();
    return;
  }
  request.unpipe();
  request.once('end', cut);
  request.resume();
}

/**
 * One request through the lab's TCP connection: the request body streams in (counted against
 * the limit), the response streams out. The reply is hijacked: Fastify adds nothing to it.
 */
export async function proxyRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  options: {
    connection: Duplex;
    host: string;
    label: string;
    path: string;
    /** The lab page's prefix on Aperture (for `Location`). */
    prefix: string;
    limit?: number;
    /** Default PROXY_UPSTREAM_TIMEOUT_MS. */
    timeoutMs?: number;
  },
): Promise<void> {
  const limit = options.limit ?? PROXY_BODY_LIMIT;
  const timeoutMs = options.timeoutMs ?? PROXY_UPSTREAM_TIMEOUT_MS;
  reply.hijack();
  const upstream = httpRequest({
    method: request.method,
    path: options.path,
    headers: requestHeaders(request.headers, options.host),
    // One connection per request: the LabAccess stream is the socket (no agent, no pooling).
    createConnection: () => options.connection as Socket,
  });
  // Till the first byte of the answer; restarted by each body chunk (a slow upload is no timeout).
  let timer: NodeJS.Timeout | undefined;
  const waitForAnswer = () => {
    clearTimeout(timer);
    timer = setTimeout(() => upstream.destroy(new UpstreamTimeout()), timeoutMs);
  };
  waitForAnswer();
  const done = new Promise<void>((resolve) => {
    reply.raw.on('close', () => {
      clearTimeout(timer);
      upstream.destroy();
      options.connection.destroy();
      resolve();
    });
  });
  upstream.on('response', (response) => {
    clearTimeout(timer);
    reply.raw.writeHead(
      response.statusCode ?? 502,
      response.statusMessage,
      responseHeaders(response.headers, { prefix: options.prefix, host: options.host }),
    );
    response.pipe(reply.raw);
    response.on('error', () => reply.raw.destroy());
  });
  upstream.on('error', (error) => {
    clearTimeout(timer);
    if (error instanceof BodyTooLarge)
      sendJsonError(reply, 413, 'payload_too_large', `The request body is larger than ${limit} bytes.`);
    else if (error instanceof UpstreamTimeout)
      sendJsonError(
        reply,
        504,
        'upstream_timeout',
        `${options.label} did not answer within ${Math.round(timeoutMs / 1000)} s.`,
      );
    else sendJsonError(reply, 502, 'unavailable', `${options.label} stopped answering (${error.message}).`);
  });
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      waitForAnswer();
      if (seen > limit) callback(new BodyTooLarge());
      else callback(null, chunk);
    },
  });
  counter.on('error', (error) => upstream.destroy(error));
  request.raw.pipe(counter).pipe(upstream);
  await done;
}

/** A request whose declared length is already over the limit is refused before connecting. */
export function declaredTooLarge(request: FastifyRequest, limit = PROXY_BODY_LIMIT): boolean {
  const length = Number(request.headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > limit;
}
