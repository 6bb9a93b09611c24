import { batchRunSchema, type CreateRunBody, createRunSchema } from '@aperture/api-contract';
import {
  type Actor,
  isTerminal,
  LANGUAGES,
  MAX_WAIT_MS,
  type Run,
  type RunEvent,
  viewRun,
} from '@aperture/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.ts';
import { toGradescopeResults } from '../gradescope-export.ts';
import { actorOf } from '../http/auth.ts';
import { toLimits, toSourceFiles, toTestCases } from '../http/files.ts';
import { route } from '../http/route.ts';
import { parseBody } from '../http/validate.ts';

type Params = { id: string };
type WaitQuery = { wait?: string; timeoutMs?: string };

export function runRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const view = (actor: Actor, id: string) => ctx.runs.view(actor, id);
  const create = (actor: Actor, body: CreateRunBody) =>
    ctx.runs.createAdhoc(actor, {
      language: body.language,
      files: toSourceFiles(body.files),
      mainFile: body.mainFile,
      stdin: body.stdin,
      tests: body.tests ? toTestCases(body.tests) : undefined,
      limits: body.limits ? toLimits(body.limits) : undefined,
      webhookUrl: body.webhookUrl,
    });
  const respond = async (request: FastifyRequest, reply: FastifyReply, run: Run) => {
    const actor = actorOf(request);
    const query = request.query as WaitQuery;
    if (query.wait === 'true' || query.wait === '1') {
      const timeout = query.timeoutMs ? Number(query.timeoutMs) : MAX_WAIT_MS;
      const finished = await ctx.runs.waitFor(run.id, Number.isFinite(timeout) ? timeout : MAX_WAIT_MS);
      return reply.status(isTerminal(finished.status) ? 200 : 202).send(await view(actor, finished.id));
    }
    return reply
      .status(202)
      .header('location', `/api/v1/runs/${run.id}`)
      .send(await view(actor, run.id));
  };

  route(app, {
    method: 'GET',
    url: '/api/v1/languages',
    summary: 'Languages and their compile/run commands.',
    tags: ['runs'],
    public: true,
    handler: async () =>
      LANGUAGES.map(({ id, name, version, compile, run, defaultMainFile, extensions }) => ({
        id,
        name,
        version,
        compile: compile ?? null,
        run,
        defaultMainFile,
        extensions,
      })),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/runs',
    summary: `Run code (async; ?wait=true waits up to ${MAX_WAIT_MS / 1000} s, or ?timeoutMs).`,
    tags: ['runs'],
    body: createRunSchema,
    querystring: { wait: { type: 'boolean' }, timeoutMs: { type: 'integer' } },
    handler: async (request, reply) => {
      const run = await create(actorOf(request), parseBody(createRunSchema, request.body));
      return respond(request, reply, run);
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/runs/batch',
    summary: 'Up to 20 runs at once; returns their ids in order.',
    tags: ['runs'],
    body: batchRunSchema,
    handler: async (request, reply) => {
      const { runs } = parseBody(batchRunSchema, request.body);
      const actor = actorOf(request);
      const created: Run[] = [];
      for (const body of runs) created.push(await create(actor, body));
      return reply.status(202).send({ runs: created.map((r) => ({ id: r.id, status: r.status })) });
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/runs',
    summary: 'Your runs, newest first (course staff: ?courseId= for a course).',
    tags: ['runs'],
    querystring: {
      courseId: { type: 'string' },
      kind: { type: 'string', enum: ['adhoc', 'submission'] },
      limit: { type: 'integer' },
    },
    handler: async (request) => {
      const query = request.query as { courseId?: string; kind?: 'adhoc' | 'submission'; limit?: string };
      return ctx.runs.list(actorOf(request), {
        ...(query.courseId ? { courseId: query.courseId } : {}),
        ...(query.kind ? { kind: query.kind } : {}),
        ...(query.limit ? { limit: Number(query.limit) } : {}),
      });
    },
  });
  for (const prefix of ['/api/v1/runs', '/api/v1/submissions']) {
    route(app, {
      method: 'GET',
      url: `${prefix}/:id`,
      summary: 'One run or submission: status, verdict, per-test results.',
      tags: ['runs'],
      querystring: { wait: { type: 'boolean' }, timeoutMs: { type: 'integer' } },
      handler: async (request) => {
        const actor = actorOf(request);
        const id = (request.params as Params).id;
        const query = request.query as WaitQuery;
        await ctx.runs.get(actor, id);
        if (query.wait === 'true' || query.wait === '1')
          await ctx.runs.waitFor(id, Number(query.timeoutMs ?? MAX_WAIT_MS) || MAX_WAIT_MS);
        return view(actor, id);
      },
    });
  }
  for (const prefix of ['/api/v1/runs', '/api/v1/submissions']) {
    route(app, {
      method: 'GET',
      url: `${prefix}/:id/events`,
      summary:
        'Server-sent events: `status` on each change, `result` (the run as you may see it) once at the end.',
      tags: ['runs'],
      handler: async (request, reply) => streamEvents(ctx, request, reply),
    });
  }
  route(app, {
    method: 'POST',
    url: '/api/v1/runs/:id/cancel',
    summary: 'Cancel a queued or running run.',
    tags: ['runs'],
    handler: async (request) => {
      const actor = actorOf(request);
      const run = await ctx.runs.cancel(actor, (request.params as Params).id);
      return view(actor, run.id);
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/runs/:id/rerun',
    summary: 'Re-run a submission against the assignment’s current tests (course staff).',
    tags: ['submissions'],
    handler: async (request, reply) => {
      const run = await ctx.runs.rerun(actorOf(request), (request.params as Params).id);
      return reply.status(202).send({ id: run.id, status: run.status });
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/runs/:id/gradescope',
    summary: 'The result in Gradescope’s results.json format.',
    tags: ['submissions'],
    handler: async (request) => {
      const { run, assignment, isStaff } = await ctx.runs.get(
        actorOf(request),
        (request.params as Params).id,
      );
      return toGradescopeResults(
        viewRun(run, assignment, { isStaff, now: ctx.deps.clock.now() }),
        run,
        isStaff,
      );
    },
  });
}

async function streamEvents(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply) {
  const actor = actorOf(request);
  const id = (request.params as Params).id;
  await ctx.runs.get(actor, id); // authorisation before the stream opens
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const send = (event: string, data: unknown) =>
    raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(heartbeat);
    raw.end();
  };
  const finish = async () => {
    send('result', await ctx.runs.view(actor, id));
    close();
  };
  const unsubscribe = ctx.deps.events.subscribe(id, (event: RunEvent) => {
    if (event.type === 'run.status')
      // No verdict on status events: the raw verdict may reflect hidden tests. The `result` event
      // carries the viewer's own view, verdict included.
      send('status', { status: event.status, at: event.at });
    else void finish();
  });
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
  request.raw.on('close', close);
  const current = await ctx.runs.view(actor, id);
  send('status', { status: current.status, at: new Date().toISOString() });
  if (isTerminal(current.status)) await finish();
}
