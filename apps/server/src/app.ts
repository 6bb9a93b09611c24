import { MAX_TOTAL_FILE_BYTES } from '@aperture/core';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ServerContext } from './context.ts';
import { registerAuth } from './http/auth.ts';
import { registerBodyParsers } from './http/body-parsers.ts';
import { handleError } from './http/errors.ts';
import { chooseProtocol } from './http/lab-ws-proxy.ts';
import { registerCrossSiteCheck } from './http/same-origin.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import type { TrustProxy } from './http/trust-proxy.ts';
import { registerWebUi } from './http/web-ui.ts';
import { assignmentRoutes } from './routes/assignments.ts';
import { authRoutes } from './routes/auth.ts';
import { courseRoutes } from './routes/courses.ts';
import { healthRoutes } from './routes/health.ts';
import { labAccessRoutes } from './routes/lab-access.ts';
import { labFlowRoutes } from './routes/lab-flow.ts';
import { labRoutes } from './routes/labs.ts';
import { runFileRoutes } from './routes/run-files.ts';
import { runRoutes } from './routes/runs.ts';

/** JSON bodies carry base64 files: allow the file budget plus encoding overhead, and no more. */
export const BODY_LIMIT = Math.ceil(MAX_TOTAL_FILE_BYTES * 1.5) + 1024 * 1024;

export async function buildApp(
  ctx: ServerContext,
  logger: FastifyBaseLogger | false,
  options: { trustProxy?: TrustProxy } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    ...(logger === false ? { logger: false } : { loggerInstance: logger }),
    bodyLimit: BODY_LIMIT,
    // request.ip (the sign-in throttle's address) comes from X-Forwarded-For only for trusted proxies.
    // (A number of hops is accepted at run time, though Fastify's types omit it.)
    trustProxy: (options.trustProxy ?? false) as boolean | string[],
  }) as unknown as FastifyInstance;
  // zod validates inside the handlers (one source of truth); the JSON schemas only document.
  app.setValidatorCompiler(() => (value) => ({ value }));
  app.setErrorHandler(handleError);
  registerBodyParsers(app);
  await app.register(cookie);
  // Before any route: it must see every route to refuse upgrades on the non-WebSocket ones.
  // A lab page's WebSocket answers with the subprotocol the student's server chose (lab-ws-proxy.ts).
  await app.register(websocket, { options: { maxPayload: 1024 * 1024, handleProtocols: chooseProtocol } });
  await app.register(multipart, {
    limits: { fileSize: MAX_TOTAL_FILE_BYTES, files: 100, fields: 20, fieldSize: 64 * 1024, parts: 130 },
    throwFileSizeLimit: true,
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Aperture API',
        version: ctx.version,
        description: 'Runs, courses, assignments and submissions.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'A personal API token (aperture token create).',
          },
          cookie: { type: 'apiKey', in: 'cookie', name: 'aperture_session' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { docExpansion: 'list' } });
  app.get('/api/openapi.json', { config: { public: true }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  registerAuth(app, ctx);
  registerCrossSiteCheck(app, ctx.publicUrl);
  registerSecurityHeaders(app, ctx.publicUrl);
  healthRoutes(app, ctx);
  authRoutes(app, ctx);
  courseRoutes(app, ctx);
  assignmentRoutes(app, ctx);
  runRoutes(app, ctx);
  runFileRoutes(app, ctx);
  labRoutes(app, ctx);
  labFlowRoutes(app, ctx);
  await labAccessRoutes(app, ctx);
  await registerWebUi(app);
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: { code: 'not_found', message: `No route ${request.method} ${request.url}.` } }),
  );
  return app;
}
