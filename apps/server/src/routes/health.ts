import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
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
    handler: async (_request, reply) => {
      const checks: Record<string, { ok: boolean; error?: string }> = {};
      try {
        await ctx.deps.store.ping();
        checks['database'] = { ok: true };
      } catch (error) {
        checks['database'] = { ok: false, error: (error as Error).message };
      }
      const health = await ctx.executor
        .health()
        .catch((error: Error) => ({ ok: false, details: { error: error.message } }));
      checks['backend'] = health.ok ? { ok: true } : { ok: false, error: JSON.stringify(health.details) };
      const ok = Object.values(checks).every((c) => c.ok);
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks });
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/system',
    summary: 'Queue length, running runs, backend health and version.',
    tags: ['system'],
    handler: async () => ({
      version: ctx.version,
      runs: await ctx.deps.store.runs.countByStatus(),
      dispatcher: { running: ctx.dispatcher.running },
      backend: await ctx.executor.health(),
      database: ctx.deps.store.dialect,
    }),
  });
}
