import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket } from 'ws';
import { requestHeaders } from './lab-proxy.ts';
import { closeSocket, HIGH_WATER, LOW_WATER } from './ws-bridge.ts';

/**
 * A lab page's own WebSockets (a dev server's live reload, a notebook's kernel channel) through
 * the HTTP proxy. Aperture ends the browser's WebSocket itself and opens a second one to the
 * student's server over the LabAccess connection, then relays messages: the browser's upgrade
 * is authorized like any other request through the link, the student's server sees the same
 * scrubbed headers as a proxied request (no cookie, no Authorization), and either side's
 * frames are bounded. Relaying messages rather than raw bytes keeps the frames Aperture accepts
 * checked by `ws`, whatever the student's server sends.
 */

/** The largest message the student's server may send to the browser (a notebook's plot can be MiBs). */
export const LAB_WS_MAX_MESSAGE = 16 * 1024 * 1024;

/** How long the student's server may take to answer the upgrade. */
export const LAB_WS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** What a failed upgrade of the student's server means for the browser's request. */
export class LabSocketRefused extends Error {
  constructor(
    message: string,
    /** 502 when it refused or failed, 504 when it did not answer in time. */
    readonly status: 502 | 504,
  ) {
    super(message);
  }
}

const CHOSEN_PROTOCOL = Symbol('aperture.labChosenProtocol');
type WithChosenProtocol = IncomingMessage & { [CHOSEN_PROTOCOL]?: string };

/**
 * `ws`'s `handleProtocols` for the whole server. The browser is answered with the subprotocol
 * the student's server chose (none, if it chose none: the browser then fails the open, as it
 * would talking to that server directly). Every other WebSocket route keeps `ws`'s default, the
 * first one offered.
 */
export function chooseProtocol(offered: Set<string>, request: IncomingMessage): string | false {
  const chosen = (request as WithChosenProtocol)[CHOSEN_PROTOCOL];
  if (chosen !== undefined) return chosen && offered.has(chosen) ? chosen : false;
  return offered.values().next().value ?? false;
}

/** The subprotocol the student's server chose ('' for none), for chooseProtocol to answer with. */
export function recordChosenProtocol(request: IncomingMessage, protocol: string): void {
  (request as WithChosenProtocol)[CHOSEN_PROTOCOL] = protocol;
}

// `ws` writes these itself, from its own key and the protocols it is given.
const HANDSHAKE_HEADERS = /^sec-websocket-/;
const BODY_FRAMING = new Set(['transfer-encoding', 'content-length']);

/** The browser's headers as the student's server should see them (lab-proxy.ts's rules). */
export function upstreamSocketHeaders(headers: IncomingHttpHeaders, host: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(requestHeaders(headers, host))) {
    // No body framing either: after the upgrade the bytes are frames, never a request body.
    if (value === undefined || HANDSHAKE_HEADERS.test(name) || BODY_FRAMING.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/**
 * The subprotocols the browser offered (`Sec-WebSocket-Protocol`), in order; undefined when the
 * header is malformed (not tokens, or one twice), which `ws` would throw on.
 */
export function offeredProtocols(headers: IncomingHttpHeaders): string[] | undefined {
  const header = headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  const protocols = String(header)
    .split(',')
    .map((p) => p.trim());
  const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  if (protocols.some((p) => !token.test(p)) || new Set(protocols).size !== protocols.length) return undefined;
  return protocols;
}

/**
 * Why the browser's upgrade cannot be passed on as it is, before anything is connected: a
 * malformed subprotocol list, or a fragment in the path (which `ws` refuses to send).
 */
export function upgradeProblem(headers: IncomingHttpHeaders, path: string): string | undefined {
  if (offeredProtocols(headers) === undefined)
    return 'Sec-WebSocket-Protocol must be a list of distinct tokens.';
  if (path.includes('#')) return 'A WebSocket URL has no fragment (#).';
  return undefined;
}

/**
 * Opens the student's WebSocket over `connection` (already connected to the component's port),
 * before the browser's upgrade is answered, so a refusal is still a plain HTTP error. Resolves
 * with the socket paused: nothing it sends is read until `relaySockets` listens.
 */
export function openLabSocket(
  request: IncomingMessage,
  options: {
    connection: Duplex;
    /** `component:port`, the Host the student's server is sent. */
    host: string;
    path: string;
    handshakeTimeoutMs?: number;
  },
): Promise<WebSocket> {
  const timeoutMs = options.handshakeTimeoutMs ?? LAB_WS_HANDSHAKE_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    let upstream: WebSocket;
    try {
      upstream = new WebSocket(
        `ws://${options.host}${options.path}`,
        offeredProtocols(request.headers) ?? [],
        {
          // The LabAccess stream is the socket: no DNS, no agent, no pooling.
          createConnection: () => options.connection as Socket,
          headers: upstreamSocketHeaders(request.headers, options.host),
          maxPayload: LAB_WS_MAX_MESSAGE,
          // Compression would let a small frame inflate into a large buffer here; browsers cope without.
          perMessageDeflate: false,
          followRedirects: false,
        },
      );
    } catch (error) {
      options.connection.destroy();
      reject(new LabSocketRefused(`The WebSocket cannot be passed on: ${(error as Error).message}`, 502));
      return;
    }
    let settled = false;
    const fail = (error: LabSocketRefused) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      upstream.terminate();
      options.connection.destroy();
      reject(error);
    };
    // Our own clock: `ws`'s handshakeTimeout is applied by Node only while it connects, and this
    // connection is handed over already open, so a server that never answers would hold it forever.
    const timer = setTimeout(
      () =>
        fail(
          new LabSocketRefused(
            `${options.host} did not answer the WebSocket within ${Math.round(timeoutMs / 1000)} s.`,
            504,
          ),
        ),
      timeoutMs,
    );
    upstream.once('open', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Synchronously, before `ws` starts reading: a greeting sent at once must wait for the browser.
      upstream.pause();
      recordChosenProtocol(request, upstream.protocol);
      resolve(upstream);
    });
    upstream.once('unexpected-response', (_req, response) => {
      response.resume();
      fail(
        new LabSocketRefused(
          `${options.host} answered the WebSocket with HTTP ${response.statusCode ?? '?'}, not an upgrade.`,
          502,
        ),
      );
    });
    upstream.on('error', (error) =>
      fail(new LabSocketRefused(`${options.host} refused the WebSocket (${error.message}).`, 502)),
    );
  });
}

/**
 * Messages both ways, text stays text and binary binary, with backpressure: a side that reads
 * slowly pauses the other (at most HIGH_WATER bytes queued per direction). Either side closing
 * closes the other with the same code where that code may be sent on.
 */
export function relaySockets(browser: WebSocket, upstream: WebSocket): void {
  forward(browser, upstream);
  forward(upstream, browser);
  browser.on('close', (code, reason) => closeSocket(upstream, relayedCode(code), reason.toString()));
  upstream.on('close', (code, reason) => closeSocket(browser, relayedCode(code), reason.toString()));
  browser.on('error', () => upstream.terminate());
  upstream.on('error', () => closeSocket(browser, 1011, 'the lab connection failed'));
  // It may have closed while the browser's upgrade was being answered.
  if (upstream.readyState !== upstream.OPEN) closeSocket(browser, 1011, 'the lab connection ended');
  else upstream.resume();
}

function forward(from: WebSocket, to: WebSocket): void {
  let queued = 0;
  from.on('message', (data: RawData, isBinary: boolean) => {
    if (to.readyState !== to.OPEN) return;
    const size = byteLength(data);
    queued += size;
    to.send(data, { binary: isBinary }, () => {
      queued -= size;
      if (queued <= LOW_WATER && from.isPaused) from.resume();
    });
    if (queued > HIGH_WATER) from.pause();
  });
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

/**
 * 1005 (no code), 1006 (dropped) and 1015 (TLS) are never sent on the wire; a code outside
 * what an endpoint may send becomes 1011. Others pass: 1000, 1001, 1003, 1007–1014, 3000–4999.
 */
export function relayedCode(code: number): number {
  if (code === 1005) return 1000;
  if (code === 1006 || code === 1015) return 1011;
  const sendable =
    (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  return sendable ? code : 1011;
}
