import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * The web UI's Content-Security-Policy, the one it is tested under in Chromium (test/e2e). Sources
 * are paths of this origin, not all of it: the lab proxy (`/labs/…`, `/lab-sessions/…`) serves
 * whatever a student's lab server answers, in any content type, from this same origin, so
 * `'self'` would let an injected `<script src="/lab-sessions/…">` run a student's script, and a
 * `fetch` carry a page's data to a student's lab. So scripts come only from the built bundle
 * (`/assets/`, and the API docs' own files), connections go only to the API (and its WebSockets)
 * and /healthz, and nothing may be framed, framing us, or a form target. Styles may be inline
 * because Mantine and CodeMirror write `style` attributes and `<style>` elements at run time
 * (style cannot run code); images may be `data:`/`blob:` (icons, noVNC's cursor).
 */
export function webUiCsp(origin: string): string {
  const ws = origin.replace(/^http/, 'ws');
  return [
    "default-src 'none'",
    `script-src ${origin}/assets/ ${origin}/api/docs/`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src ${origin}/api/ ${origin}/healthz ${ws}/api/`,
    `worker-src ${origin}/assets/ blob:`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-src 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Routes whose answers come from a student's lab server, with their own headers (lab-proxy.ts). */
export function isLabProxyRoute(routePattern: string | undefined): boolean {
  return routePattern?.startsWith('/labs/:') === true || routePattern?.startsWith('/lab-sessions/') === true;
}

/**
 * Headers for every answer of Aperture's own pages and API, chosen by the route that matched (not
 * by the raw URL, which would let `/labs/x` serve the app without them). A lab page proxied from a
 * student's server gets its own, stricter set in lab-proxy.ts (a sandboxed, opaque origin).
 */
export function securityHeaders(origin: string, https: boolean): Record<string, string> {
  return {
    'content-security-policy': webUiCsp(origin),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    // Only when browsers reach us over https: one that saw it on plain http would refuse us after.
    ...(https && { 'strict-transport-security': 'max-age=31536000' }),
  };
}

/** Without a public URL, the origin browsers use is the request's own scheme and Host. */
function originOf(request: Pick<FastifyRequest, 'protocol' | 'host'>): string {
  return `${request.protocol}://${request.host}`;
}

const forOrigin = (origin: string) => securityHeaders(origin, origin.startsWith('https:'));

export function registerSecurityHeaders(app: FastifyInstance, publicUrl?: string): void {
  // With a public URL the set never changes: built once, not per answer.
  const fixed = publicUrl ? forOrigin(new URL(publicUrl).origin) : undefined;
  app.addHook('onSend', async (request, reply) => {
    if (isLabProxyRoute(request.routeOptions.url)) return;
    const headers = fixed ?? forOrigin(originOf(request));
    // A route that set its own policy keeps it.
    for (const [name, value] of Object.entries(headers))
      if (!reply.hasHeader(name)) reply.header(name, value);
  });
}
