import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** apps/web/dist, built by scripts/lib/build-web.sh. */
export const DEFAULT_WEB_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../../web/dist');

const MISSING_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Aperture</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">
<h1>Aperture</h1>
<p>The web UI has not been built. Run <code>scripts/setup.sh</code> (or <code>bash scripts/lib/build-web.sh</code>)
and restart the server.</p>
<p>The API is up: see <a href="/api/docs">/api/docs</a>.</p>
</body></html>`;

/** Paths the app never answers with its page: the API, and the lab proxy's (which has routes of its own). */
const notAppPage = (request: FastifyRequest) =>
  request.url === '/api' ||
  ['/api/', '/labs/', '/lab-sessions/'].some((prefix) => request.url.startsWith(prefix));

/**
 * The single-page app at `/`: files from the build, and index.html for every other non-API path
 * so that the client-side router can answer deep links. API paths keep their JSON 404.
 */
export async function registerWebUi(app: FastifyInstance, distDir = DEFAULT_WEB_DIST): Promise<void> {
  const uiRoute = { config: { public: true }, schema: { hide: true } };
  if (!existsSync(join(distDir, 'index.html'))) {
    app.get('/*', uiRoute, async (request, reply) => {
      if (notAppPage(request)) return reply.callNotFound();
      return reply.status(503).type('text/html; charset=utf-8').send(MISSING_PAGE);
    });
    return;
  }
  await app.register(fastifyStatic, {
    root: distDir,
    wildcard: false,
    // Vite puts a content hash in every asset name: those never change.
    setHeaders: (reply, path) => {
      const immutable = path.startsWith(join(distDir, 'assets'));
      reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const sendIndex = async (request: FastifyRequest, reply: FastifyReply) => {
    if (notAppPage(request) || request.url.startsWith('/assets/')) return reply.callNotFound();
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  };
  app.get('/*', uiRoute, sendIndex);
}
