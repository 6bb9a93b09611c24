import { type Actor, type AuthService, UnauthenticatedError, type User } from '@aperture/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.ts';

export const SESSION_COOKIE = 'aperture_session';

declare module 'fastify' {
  interface FastifyRequest {
    user: User | undefined;
  }
  interface FastifyContextConfig {
    /** Routes that need no sign-in (health, login, docs). */
    public?: boolean;
  }
}

/** Resolve the caller from a Bearer token (CLI, API) or the session cookie (web), on every request. */
export function registerAuth(app: FastifyInstance, ctx: ServerContext): void {
  app.decorateRequest('user', undefined);
  app.addHook('onRequest', async (request) => {
    // Decided by the matched route's pattern, never by the raw URL: `/api/%761/system` is routed
    // to `/api/v1/system` and must be protected like it. Unmatched paths (404s) protect nothing.
    const pattern = request.routeOptions.url;
    const isPublic =
      request.routeOptions.config?.public === true ||
      pattern === undefined ||
      !pattern.startsWith('/api/v1/');
    try {
      request.user = await identify(request, ctx);
    } catch (error) {
      // A stale token must not lock anyone out of login, health or the docs.
      if (!isPublic) throw error;
    }
    if (!isPublic && !request.user) throw new UnauthenticatedError();
  });
}

/** Who the request's credential names: a Bearer token wins over the session cookie. */
export async function identify(
  request: FastifyRequest,
  ctx: { auth: Pick<AuthService, 'authenticateSession' | 'authenticateToken'> },
): Promise<User | undefined> {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new UnauthenticatedError('The Authorization header must be "Bearer <token>".');
    const user = await ctx.auth.authenticateToken(match[1]);
    if (!user) throw new UnauthenticatedError('That API token is unknown, revoked or expired.');
    return user;
  }
  const cookie = request.cookies[SESSION_COOKIE];
  return cookie ? ctx.auth.authenticateSession(cookie) : undefined;
}

export function actorOf(request: FastifyRequest): Actor {
  if (!request.user) throw new UnauthenticatedError();
  return { userId: request.user.id, role: request.user.role };
}

/**
 * The session cookie is `Secure` whenever browsers reach us over TLS: the setting says so, the
 * public URL is https, or the request itself came over https — directly, or through a proxy the
 * `trustProxy` setting trusts (then Fastify's `request.protocol` is its X-Forwarded-Proto).
 */
export function cookieMustBeSecure(
  request: Pick<FastifyRequest, 'protocol'>,
  settings: { secureCookies: boolean; publicUrl?: string | undefined },
): boolean {
  return (
    settings.secureCookies ||
    settings.publicUrl?.startsWith('https:') === true ||
    request.protocol === 'https'
  );
}
