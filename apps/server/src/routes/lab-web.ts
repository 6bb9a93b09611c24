import { type Actor, PayloadTooLargeError, UnauthenticatedError, ValidationError } from '@aperture/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, SESSION_COOKIE } from '../http/auth.ts';
import { type LabLink, LabLinkSigner } from '../http/lab-link.ts';
import { declaredTooLarge, proxyRequest, upstreamPath, upstreamPrefix } from '../http/lab-proxy.ts';
import type { LabAccessContext } from './lab-access.ts';

/**
 * The HTTP proxy into a lab component's port. `/labs/:deployment/:user/:component/:port/…` is
 * what "Open web" links to; a browser's navigation there (session cookie, GET) is sent on to the
 * page's own signed link `/lab-sessions/:link/…` (lab-link.ts says why), and API clients with a
 * Bearer token are proxied at once. Every request is authorized by LabService.
 */
export async function labWebRoutes(
  app: FastifyInstance,
  ctx: LabAccessContext,
  options: { signer?: LabLinkSigner | undefined; timeoutMs?: number | undefined } = {},
): Promise<void> {
  const signer = options.signer ?? new LabLinkSigner();
  const schema = { hide: true };
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

  /** The link's session still exists, unexpired, and is its viewer's (a logout deletes it). */
  const sessionLives = async (link: LabLink) => {
    const session = await ctx.deps.store.sessions.get(link.sessionId);
    return !!session && session.userId === link.viewerId && Date.parse(session.expiresAt) > Date.now();
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
    proxy.all('/lab-sessions/*', { schema }, async (request, reply) => {
      const rest = (request.params as { '*': string })['*'];
      const token = rest.split('/')[0] ?? '';
      if (!rest.includes('/')) return toDirectory(request, reply, 2);
      const path = upstreamPath(request.raw.url ?? '/', 2);
      const link = signer.verify(token);
      const live = link && (await sessionLives(link));
      if (!link || !live) {
        // An expired link (or one of an ended session) opened again as a navigation with a
        // session cookie: renew it for that session.
        const expired = link ?? signer.verify(token, Date.now(), true);
        if (expired && request.user && isNavigation(request))
          return toLink(request, reply, targetOf(expired), path);
        throw new UnauthenticatedError(
          link
            ? 'The session that opened this lab link has ended: open the lab again from Aperture.'
            : 'This lab link has expired or is not valid: open the lab again from Aperture.',
        );
      }
      const viewer = await ctx.deps.store.users.get(link.viewerId);
      if (!viewer) throw new UnauthenticatedError('The account that opened this lab link is gone.');
      return forward(request, reply, { userId: viewer.id, role: viewer.role }, targetOf(link), 2);
    });
  });
}

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
