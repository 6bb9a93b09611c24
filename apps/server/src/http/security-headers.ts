import type { FastifyInstance } from 'fastify';

/**
 * The web UI's Content-Security-Policy, the one it is tested under in Chromium (test/e2e): scripts
 * only from our own files (no inline script, no eval), so an injected `<script>` or event
 * attribute does nothing; styles may be inline because Mantine and CodeMirror write `style`
 * attributes and `<style>` elements at run time (style injection cannot run code); images may be
 * `data:`/`blob:` (icons, the noVNC canvas's cursor); connections only to this origin (the API,
 * and the terminal's and desktop's WebSockets); no plugins, no framing by anyone, forms and
 * `<base>` only to ourselves.
 */
export const WEB_UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Headers for every answer of Aperture's own origin. A lab page proxied from a student's server
 * (`/labs/…`, `/lab-sessions/…`) gets its own, stricter set in lab-proxy.ts (a sandboxed, opaque
 * origin) and is left alone here.
 */
export function securityHeaders(path: string, https = false): Record<string, string> | undefined {
  if (path.startsWith('/labs/') || path.startsWith('/lab-sessions/')) return undefined;
  return {
    // Only when the public URL is https: a browser that saw it on plain http would refuse us after.
    ...(https && { 'strict-transport-security': 'max-age=31536000' }),
    'content-security-policy': WEB_UI_CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  };
}

export function registerSecurityHeaders(app: FastifyInstance, publicUrl?: string): void {
  const https = publicUrl?.startsWith('https:') ?? false;
  app.addHook('onSend', async (request, reply) => {
    const headers = securityHeaders(request.url, https);
    // A route that set its own policy (the API docs page) keeps it.
    if (headers)
      for (const [name, value] of Object.entries(headers))
        if (!reply.hasHeader(name)) reply.header(name, value);
  });
}
