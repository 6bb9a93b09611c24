import type { Duplex } from 'node:stream';
import {
  type Actor,
  PayloadTooLargeError,
  UnauthenticatedError,
  UnavailableError,
  ValidationError,
} from '@aperture/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { actorOf, SESSION_COOKIE } from '../http/auth.ts';
import { type LabLink, LabLinkSigner } from '../http/lab-link.ts';
import { declaredTooLarge, proxyRequest, upstreamPath, upstreamPrefix } from '../http/lab-proxy.ts';
import { LabSocketRefused, openLabSocket, relaySockets, upgradeProblem } from '../http/lab-ws-proxy.ts';
import { keepCheckingAccess } from '../http/ws-bridge.ts';
import type { LabAccessContext } from './lab-access.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** A proxied WebSocket's link and the student's server's end, opened (paused) before the upgrade. */
    labUpstream: { link: LabLink; socket: WebSocket; relaying: boolean } | undefined;
  }
}

export interface LabWebOptions {
  signer?: LabLinkSigner | undefined;
  /** How long the student's server may take to answer (HTTP: PROXY_UPSTREAM_TIMEOUT_MS; a WebSocket's upgrade: LAB_WS_HANDSHAKE_TIMEOUT_MS). */
  timeoutMs?: number | undefined;
  /** How often an open proxied WebSocket is authorized again (lab-access.ts's ACCESS_REFRESH_MS). */
  refreshMs: number;
  /** Counts an open proxied WebSocket against the viewer's sessions (lab-access.ts); throws when full. */
  holdSession: (request: FastifyRequest, viewerId: string) => void;
}

/**
 * The HTTP proxy into a lab component's port. `/labs/:deployment/:user/:component/:port/…` is
 * what "Open web" links to; a browser's navigation there (session cookie, GET) is sent on to the
 * page's own signed link `/lab-sessions/:link/…` (lab-link.ts says why), and API clients with a
 * Bearer token are proxied at once. Every request is authorized by LabService. A page's own
 * WebSockets go through its link too (lab-ws-proxy.ts).
 */
export async function labWebRoutes(
  app: FastifyInstance,
  ctx: LabAccessContext,
  options: LabWebOptions,
): Promise<void> {
  const signer = options.signer ?? new LabLinkSigner();
  const schema = { hide: true };
  app.decorateRequest('labUpstream', undefined);
  const forward = async (
    request: FastifyRequest,
    reply: FastifyReply,
    viewer: Actor,
    link: LinkTarget,
    segments: number,
  ) => {
    const raw = request.raw.url ?? '/';
    const path = upstreamPath(raw, segments);
    const target = await ctx.labs.authorizeAccess(viewer, {
      deploymentId: link.deploymentId,
      userId: link.userId,
      component: link.component,
      kind: 'http',
      port: link.port,
    });
    if (declaredTooLarge(request)) throw new PayloadTooLargeError('The request body is larger than 10 MiB.');
    const connection = await ctx.labProvisioner.connect(target, link.port);
    const label = `${link.component}:${link.port}`;
    await proxyRequest(request, reply, {
      connection,
      host: label,
      label,
      path,
      prefix: upstreamPrefix(raw, segments),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  };
  /** A navigation with the session cookie: authorize, then continue on a fresh link. */
  const toLink = async (request: FastifyRequest, reply: FastifyReply, link: LinkTarget, path: string) => {
    const viewer = actorOf(request);
    const cookie = request.cookies?.[SESSION_COOKIE];
    if (!cookie)
      throw new UnauthenticatedError('Open a lab page signed in to Aperture (the session cookie).');
    await ctx.labs.authorizeAccess(viewer, { ...link, kind: 'http' });
    const sessionId = ctx.deps.hasher.digest(cookie);
    const token = signer.sign({ ...link, viewerId: viewer.userId, sessionId });
    return reply.header('referrer-policy', 'no-referrer').redirect(`/lab-sessions/${token}${path}`, 303);
  };

  /** The link's viewer, while the session that opened it lives (a logout ends it) and is theirs. */
  const linkedViewer = async (link: LabLink) => {
    const user = await ctx.auth.authenticateSessionId(link.sessionId);
    return user?.id === link.viewerId ? user : undefined;
  };

  /**
   * Before the browser's upgrade is answered: the link, the viewer's access, and the student's
   * server's own upgrade, so any refusal is still an HTTP error with the API's body. Only a
   * link opens a WebSocket (a page's scripts have no cookie: lab-link.ts), so no Origin check:
   * a page elsewhere cannot know the link.
   */
  const openUpstreamSocket = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = upstreamPath(request.raw.url ?? '/', 2);
    const problem = upgradeProblem(request.headers, path);
    if (problem) throw new ValidationError(problem);
    const link = signer.verify(linkTokenOf(request));
    const viewer = link && (await linkedViewer(link));
    if (!link || !viewer) throw linkRefused(link);
    const target = await ctx.labs.authorizeAccess(
      { userId: viewer.id, role: viewer.role },
      { ...targetOf(link), kind: 'http' },
    );
    options.holdSession(request, viewer.id);
    // The browser may go away before the relay runs: nothing may stay open behind it. (Nobody
    // reads its socket until the upgrade is answered, so a quiet hang-up is noticed by the
    // handshake bound in openLabSocket at the latest; a reset is noticed here at once.)
    const browser = request.raw.socket;
    let connection: Duplex | undefined;
    browser.once('close', () => {
      if (request.labUpstream?.relaying) return;
      connection?.destroy();
      request.labUpstream?.socket.terminate();
    });
    connection = await ctx.labProvisioner.connect(target, link.port);
    if (browser.destroyed) {
      connection.destroy();
      throw new UnavailableError('The browser went away before its WebSocket was open.');
    }
    try {
      const socket = await openLabSocket(request.raw, {
        connection,
        host: `${link.component}:${link.port}`,
        path,
        ...(options.timeoutMs === undefined ? {} : { handshakeTimeoutMs: options.timeoutMs }),
      });
      request.labUpstream = { link, socket, relaying: false };
      if (browser.destroyed) socket.terminate();
    } catch (error) {
      if (!(error instanceof LabSocketRefused)) throw error;
      const code = error.status === 504 ? 'upstream_timeout' : 'unavailable';
      return reply.code(error.status).send({ error: { code, message: error.message } });
    }
  };

  /** Messages both ways until either side closes; the viewer's access is checked again meanwhile. */
  const relayLinked = (socket: WebSocket, request: FastifyRequest) => {
    const opened = request.labUpstream!;
    opened.relaying = true;
    const { link, socket: upstream } = opened;
    const target = { deploymentId: link.deploymentId, studentId: link.userId, component: link.component };
    // A message from the browser is use (for the idle stop), like a keystroke in a terminal.
    socket.on('message', () => ctx.labs.noteActivity(target));
    keepCheckingAccess(socket, request.log, options.refreshMs, {
      viewer: () => linkedViewer(link),
      access: (viewer) =>
        ctx.labs.authorizeAccess(
          { userId: viewer.id, role: viewer.role },
          { ...targetOf(link), kind: 'http', recheck: true },
        ),
    });
    relaySockets(socket, upstream);
  };

  await app.register(async (proxy) => {
    // The body is the student's server's business: stream it through untouched, whatever its type.
    proxy.removeAllContentTypeParsers();
    proxy.addContentTypeParser('*', (_request, _payload, done) => done(null));

    const prefix = '/labs/:deployment/:user/:component/:port';
    proxy.get(prefix, { schema }, async (request, reply) => toDirectory(request, reply, 5));
    proxy.all(`${prefix}/*`, { schema }, async (request, reply) => {
      // This path is outside /api/v1, so the auth hook lets it through without a user.
      if (!request.user) throw new UnauthenticatedError();
      const { deployment, user, component, port } = request.params as Record<string, string>;
      const link = { deploymentId: deployment!, userId: user!, component: component!, port: tcpPort(port!) };
      if (isNavigation(request)) return toLink(request, reply, link, upstreamPath(request.raw.url ?? '/', 5));
      return forward(request, reply, actorOf(request), link, 5);
    });

    // A wildcard, not `:link`: a link is longer than the router lets a parameter be.
    const sessionsPath = '/lab-sessions/*';
    const handleLinked = async (request: FastifyRequest, reply: FastifyReply) => {
      if (!(request.params as { '*': string })['*'].includes('/')) return toDirectory(request, reply, 2);
      const token = linkTokenOf(request);
      const link = signer.verify(token);
      const viewer = link && (await linkedViewer(link));
      if (!link || !viewer) {
        // An expired link (or one of an ended session) opened again as a navigation with a
        // session cookie: renew it for that session.
        const expired = link ?? signer.verify(token, Date.now(), true);
        if (expired && request.user && isNavigation(request))
          return toLink(request, reply, targetOf(expired), upstreamPath(request.raw.url ?? '/', 2));
        throw linkRefused(link);
      }
      return forward(request, reply, { userId: viewer.id, role: viewer.role }, targetOf(link), 2);
    };
    proxy.route({
      method: proxy.supportedMethods.filter((method) => method !== 'GET' && method !== 'HEAD'),
      url: sessionsPath,
      schema,
      handler: handleLinked,
    });
    // GET (and the HEAD Fastify derives from it) is also where a page's WebSocket upgrades arrive.
    proxy.route({
      method: 'GET',
      url: sessionsPath,
      schema,
      preHandler: async (request, reply) => {
        // (Fastify gives the HEAD route it derives this hook too: a HEAD is never upgraded.)
        if (request.ws && request.method === 'GET') await openUpstreamSocket(request, reply);
      },
      handler: handleLinked,
      wsHandler: (socket, request) => relayLinked(socket, request),
    });
  });
}

const linkRefused = (link: LabLink | undefined) =>
  new UnauthenticatedError(
    link
      ? 'The session that opened this lab link has ended: open the lab again from Aperture.'
      : 'This lab link has expired or is not valid: open the lab again from Aperture.',
  );

/** `/lab-sessions/<link>/…`: the link. */
const linkTokenOf = (request: FastifyRequest) =>
  ((request.params as { '*'?: string })['*'] ?? '').split('/')[0] ?? '';

type LinkTarget = Pick<LabLink, 'deploymentId' | 'userId' | 'component' | 'port'>;

const targetOf = ({ deploymentId, userId, component, port }: LabLink): LinkTarget => ({
  deploymentId,
  userId,
  component,
  port,
});

/** A browser following a link with its cookie (not an API client with a token). */
const isNavigation = (request: FastifyRequest) =>
  !request.headers.authorization && (request.method === 'GET' || request.method === 'HEAD');

function tcpPort(port: string): number {
  const n = Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new ValidationError(`"${port}" is not a TCP port.`, { field: 'port' });
  return n;
}

/** Relative links in the student's page resolve against the directory: give it one. */
function toDirectory(request: FastifyRequest, reply: FastifyReply, segments: number) {
  const raw = request.raw.url ?? '/';
  const query = upstreamPath(raw, segments).slice(1);
  return reply.redirect(`${raw.slice(0, raw.length - query.length)}/${query}`, 308);
}
