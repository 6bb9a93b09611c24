import {
  createLabSchema,
  deployLabSchema,
  type LabTemplateBody,
  labTemplateBodySchema,
  labTemplateFromBody,
} from '@aperture/api-contract';
import { type LabTemplateInput, templateError } from '@aperture/core';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
import { actorOf } from '../http/auth.ts';
import { route } from '../http/route.ts';
import { parseBody } from '../http/validate.ts';

type Params = { course: string; lab: string; version: string; deployment: string; user: string };
const params = (request: { params: unknown }) => request.params as Params;

/**
 * The lab flow over HTTP (docs/labs.md, "The flow"): labs of a course, the dev template,
 * checkpoints, publish, deployments and their copies. Slow work answers 202 with the state it
 * started (`checking`, `deploying`, `destroying`); GET the resource to see how it ends.
 */
export function labFlowRoutes(app: FastifyInstance, ctx: ServerContext): void {
  route(app, {
    method: 'GET',
    url: '/api/v1/courses/:course/labs',
    summary: 'The labs of a course (course staff).',
    tags: ['labs'],
    handler: async (request) => ctx.labs.list(actorOf(request), params(request).course),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/courses/:course/labs',
    summary: 'Create a lab from a built-in type and budget, or a template; its dev copy starts for you.',
    tags: ['labs'],
    body: createLabSchema,
    handler: async (request, reply) => {
      const body = parseBody(createLabSchema, request.body);
      const input: LabTemplateInput =
        'type' in body
          ? {
              type: body.type,
              cpu: body.cpu,
              memory: body.memory,
              storage: body.storage,
              ...(body.name ? { name: body.name } : {}),
            }
          : { template: templateOfBody(body) };
      return reply.status(201).send(await ctx.labs.create(actorOf(request), params(request).course, input));
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/labs/:lab',
    summary: 'A lab: its dev copy, versions and deployments.',
    tags: ['labs'],
    handler: async (request) => ctx.labs.get(actorOf(request), params(request).lab),
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/labs/:lab',
    summary:
      'Delete a lab, its versions and its destroyed deployments (204). Its dev copy is torn down first; a course deployment still live is a 409.',
    tags: ['labs'],
    handler: async (request, reply) => {
      await ctx.labs.deleteLab(actorOf(request), params(request).lab);
      return reply.status(204).send();
    },
  });
  route(app, {
    method: 'PUT',
    url: '/api/v1/labs/:lab/template',
    summary: 'Replace the dev template; the dev copy is applied again.',
    tags: ['labs'],
    body: labTemplateBodySchema,
    handler: async (request) => {
      const template = templateOfBody(parseBody(labTemplateBodySchema, request.body));
      return ctx.labs.applyDevTemplate(actorOf(request), params(request).lab, template);
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/labs/:lab/checkpoint',
    summary: 'Checkpoint the dev template with its image digests (201; 200 when that content exists).',
    tags: ['labs'],
    handler: async (request, reply) => {
      const { version, created } = await ctx.labs.checkpoint(actorOf(request), params(request).lab);
      return reply.status(created ? 201 : 200).send(version);
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/labs/:lab/versions',
    summary: 'The versions of a lab, newest first.',
    tags: ['labs'],
    handler: async (request) => ctx.labs.versions(actorOf(request), params(request).lab),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/labs/:lab/versions/:version',
    summary: 'One version (sha256:… URL-encoded, or its first 12 hex).',
    tags: ['labs'],
    handler: async (request) =>
      ctx.labs.version(actorOf(request), params(request).lab, params(request).version),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/labs/:lab/versions/:version/diff',
    summary: 'What changed from this version to `against` (another version, or dev: the default).',
    tags: ['labs'],
    querystring: { against: { type: 'string', description: 'a version, or dev' } },
    handler: async (request) => {
      const against = (request.query as { against?: string }).against || 'dev';
      return ctx.labs.diff(actorOf(request), params(request).lab, params(request).version, against);
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/labs/:lab/versions/:version/publish',
    summary: 'Run the checks in a throw-away copy; published when they pass (202, state checking).',
    tags: ['labs'],
    handler: async (request, reply) => {
      const version = await ctx.labs.publish(actorOf(request), params(request).lab, params(request).version);
      return reply.status(version.state === 'checking' ? 202 : 200).send(version);
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/labs/:lab/deployments',
    summary: 'Deploy a published version to every student of the course (202, state deploying).',
    tags: ['labs'],
    body: deployLabSchema,
    handler: async (request, reply) => {
      const body = parseBody(deployLabSchema, request.body);
      return reply
        .status(202)
        .send(await ctx.labs.deploy(actorOf(request), params(request).lab, body.version));
    },
  });
  deploymentRoutes(app, ctx);
  pokeOnEnrollment(app, ctx);
}

const ENROLLING_ROUTES = new Set(['/api/v1/courses/:course/enrollments', '/api/v1/courses/:course/roster']);

/** A student enrolled after a deploy gets the lab at once, not at the next reconciler tick. */
function pokeOnEnrollment(app: FastifyInstance, ctx: ServerContext): void {
  app.addHook('onResponse', async (request, reply) => {
    if (
      request.method === 'POST' &&
      reply.statusCode < 300 &&
      ENROLLING_ROUTES.has(request.routeOptions.url ?? '')
    )
      ctx.labReconciler.poke();
  });
}

function deploymentRoutes(app: FastifyInstance, ctx: ServerContext): void {
  route(app, {
    method: 'GET',
    url: '/api/v1/lab-deployments/:deployment',
    summary: 'A deployment and every student’s copy, as recorded and as the engine reports it now.',
    tags: ['labs'],
    handler: async (request) => ctx.labs.deployment(actorOf(request), params(request).deployment),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/lab-deployments/:deployment/students/:user/reset',
    summary: 'Back to the version as published: that student’s files and changes are gone (202).',
    tags: ['labs'],
    handler: async (request, reply) => {
      const { deployment, user } = params(request);
      return reply.status(202).send(await ctx.labs.reset(actorOf(request), deployment, user));
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/lab-deployments/:deployment/students/:user/start',
    summary: 'Start a stopped (or failed) copy again (202).',
    tags: ['labs'],
    handler: async (request, reply) => {
      const { deployment, user } = params(request);
      return reply.status(202).send(await ctx.labs.start(actorOf(request), deployment, user));
    },
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/lab-deployments/:deployment',
    summary: 'Destroy every copy (202, destroying; destroyed with a teardown receipt).',
    tags: ['labs'],
    handler: async (request, reply) =>
      reply.status(202).send(await ctx.labs.destroy(actorOf(request), params(request).deployment)),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/me/labs',
    summary: 'Your own lab copies (staff: also your dev copies).',
    tags: ['labs'],
    handler: async (request) => ctx.labs.listMine(actorOf(request)),
  });
}

function templateOfBody(body: LabTemplateBody) {
  const result = labTemplateFromBody(body);
  if (!result.ok) throw templateError(result.errors);
  return result.template;
}
