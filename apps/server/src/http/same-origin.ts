import { ForbiddenError } from '@aperture/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from './auth.ts';

/** What the origin decisions read of a request (a FastifyRequest has all of it). */
export interface OriginFacts {
  method: string;
  /** The path the route was matched by, or the raw URL when none matched. */
  path: string;
  origin: string | undefined;
  secFetchSite: string | undefined;
  /** `Host` (or `X-Forwarded-Host` behind a trusted proxy), as Fastify's request.host. */
  host: string;
  hasBearer: boolean;
  hasSessionCookie: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Signing in sets the cookie: a forged sign-in would put the victim in the attacker's account. */
const SIGN_IN = '/api/v1/auth/login';

/**
 * Is `origin` Aperture's own? The configured public URL is the one origin browsers use, when set;
 * else the Host the request names (Fastify's `request.host` is `X-Forwarded-Host` only with
 * trustProxy on, so a header anyone may send is never trusted on its own). Pure.
 */
export function isOwnOrigin(origin: string, host: string, publicUrl?: string): boolean {
  let from: URL;
  try {
    from = new URL(origin);
  } catch {
    return false; // "null" (sandboxed and opaque origins) included
  }
  return publicUrl ? from.origin === new URL(publicUrl).origin : from.host === host.toLowerCase();
}

/**
 * Why a request must be refused as cross-site, or undefined. A browser attaches the session cookie
 * to requests other pages start whenever SameSite=Lax lets it: every request from a same-site page
 * (a student's homepage on a sibling subdomain of the university's domain), and top-level
 * navigations; text/plain and multipart bodies need no CORS preflight either. So every
 * state-changing request the cookie authenticates — the API, and the lab proxy, which forwards as
 * the cookie's user — must prove it comes from Aperture's own pages: `Sec-Fetch-Site: same-origin`
 * (every current browser sends it), else an `Origin` of ours (OWASP's "verifying origin with
 * standard headers"). A Bearer token is never ambient, so token requests need neither; a request
 * with no credential can change nothing but a sign-in, which is checked too. Pure.
 */
export function crossSiteRefusal(facts: OriginFacts, publicUrl?: string): string | undefined {
  if (SAFE_METHODS.has(facts.method) || facts.hasBearer) return undefined;
  if (!facts.hasSessionCookie && facts.path !== SIGN_IN) return undefined;
  if (facts.secFetchSite !== undefined) {
    if (facts.secFetchSite === 'same-origin') return undefined;
    return `A request from another site (Sec-Fetch-Site: ${facts.secFetchSite}) may not use this server's session cookie.`;
  }
  if (facts.origin !== undefined) {
    if (isOwnOrigin(facts.origin, facts.host, publicUrl)) return undefined;
    return `A request from ${facts.origin} may not use this server's session cookie.`;
  }
  // Neither header: not a browser (every browser since 2020 sends Sec-Fetch-Site, and Origin on
  // every cross-origin POST), so no page of another site can have started it.
  return undefined;
}

export function originFacts(request: FastifyRequest): OriginFacts {
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  return {
    method: request.method,
    path: request.routeOptions.url ?? request.url,
    origin: header('origin'),
    secFetchSite: header('sec-fetch-site'),
    host: request.host,
    hasBearer: /^Bearer\s/i.test(request.headers.authorization ?? ''),
    hasSessionCookie: request.cookies[SESSION_COOKIE] !== undefined,
  };
}

/** Refuse cross-site state changes before any handler (or the sign-in's password check) runs. */
export function registerCrossSiteCheck(app: FastifyInstance, publicUrl?: string): void {
  app.addHook('onRequest', async (request) => {
    const refusal = crossSiteRefusal(originFacts(request), publicUrl);
    if (refusal) throw new ForbiddenError(refusal);
  });
}
