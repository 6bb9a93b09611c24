import { canViewSystem, ForbiddenError } from '@aperture/core';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
import { actorOf } from '../http/auth.ts';
import { route } from '../http/route.ts';

export function healthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  route(app, {
    method: 'GET',
    url: '/healthz',
    summary: 'Liveness: the process answers.',
    tags: ['system'],
    public: true,
    handler: async () => ({ status: 'ok', version: ctx.version }),
  });
  route(app, {
    method: 'GET',
    url: '/readyz',
    summary: 'Readiness: the database and the execution backend answer.',
    tags: ['system'],
    public: true,
    handler: async (request, reply) => {
      // Anyone may ask, so the answer says only what is down; why (addresses, paths, driver
      // messages) goes to the log, for the operator.
      const checks: Record<string, { ok: boolean }> = {};
      try {
        await ctx.deps.store.ping();
        checks['database'] = { ok: true };
      } catch (error) {
        request.log.warn({ err: error }, 'readiness: the database does not answer');
        checks['database'] = { ok: false };
      }
      const health = await ctx.executor
        .health()
        .catch((error: Error) => ({ ok: false, details: { error: error.message } }));
      if (!health.ok) request.log.warn({ details: health.details }, 'readiness: the backend is not healthy');
      checks['backend'] = { ok: health.ok };
      const ok = Object.values(checks).every((c) => c.ok);
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks });
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/system',
    summary: 'Queue length, running runs, backend health and version (staff and admins).',
    tags: ['system'],
    handler: async (request) => {
      if (!canViewSystem(actorOf(request)))
        throw new ForbiddenError('The system page is for staff and administrators.');
      return {
        version: ctx.version,
        runs: await ctx.deps.store.runs.countByStatus(),
        dispatcher: { running: ctx.dispatcher.running },
        backend: await ctx.executor.health(),
        database: ctx.deps.store.dialect,
      };
    },
  });
}
