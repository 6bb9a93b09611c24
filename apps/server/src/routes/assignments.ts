import { assignmentSchema, submissionSchema } from '@aperture/api-contract';
import { type SourceFile, toStudentAssignment, ValidationError, viewRun } from '@aperture/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.ts';
import { actorOf } from '../http/auth.ts';
import { toSourceFiles } from '../http/files.ts';
import { route } from '../http/route.ts';
import { parseBody } from '../http/validate.ts';
import { extractZip } from '../http/zip.ts';
import { toAssignmentInput } from './courses.ts';

type Params = { id: string; course?: string; slug?: string };

export function assignmentRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const getAssignment = async (request: FastifyRequest, ref: string) => {
    const { assignment, isStaff } = await ctx.assignments.resolve(actorOf(request), ref);
    return isStaff ? assignment : toStudentAssignment(assignment, ctx.deps.clock.now());
  };
  route(app, {
    method: 'GET',
    url: '/api/v1/assignments/:id',
    summary: 'One assignment (students see visible tests only).',
    tags: ['assignments'],
    handler: async (request) => getAssignment(request, (request.params as Params).id),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/courses/:course/assignments/:slug',
    summary: 'One assignment by course code and slug.',
    tags: ['assignments'],
    handler: async (request) => {
      const params = request.params as Params;
      return getAssignment(request, `${params.course}/${params.slug}`);
    },
  });
  route(app, {
    method: 'PUT',
    url: '/api/v1/assignments/:id',
    summary: 'Replace an assignment (instructors).',
    tags: ['assignments'],
    body: assignmentSchema,
    handler: async (request) => {
      const body = parseBody(assignmentSchema, request.body);
      return ctx.assignments.update(actorOf(request), (request.params as Params).id, toAssignmentInput(body));
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/assignments/:id/submissions',
    summary: 'Submit: JSON files, or multipart with `language`, `files` parts and/or one `archive` zip.',
    tags: ['submissions'],
    body: submissionSchema,
    handler: async (request, reply) => {
      const input = request.isMultipart()
        ? await readMultipartSubmission(request)
        : jsonSubmission(request.body);
      const run = await ctx.runs.submit(actorOf(request), (request.params as Params).id, input);
      return reply.status(202).send(viewRun(run, undefined, { isStaff: false, now: ctx.deps.clock.now() }));
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/assignments/:id/submissions',
    summary: 'Submissions to an assignment: your own, or everyone’s for course staff.',
    tags: ['submissions'],
    querystring: { userId: { type: 'string' }, limit: { type: 'integer' } },
    handler: async (request) => {
      const query = request.query as { userId?: string; limit?: string };
      return ctx.runs.list(actorOf(request), {
        assignmentRef: (request.params as Params).id,
        ...(query.userId ? { userId: query.userId } : {}),
        ...(query.limit ? { limit: Number(query.limit) } : {}),
      });
    },
  });
}

function jsonSubmission(body: unknown) {
  const parsed = parseBody(submissionSchema, body);
  return { language: parsed.language, files: toSourceFiles(parsed.files), mainFile: parsed.mainFile };
}

async function readMultipartSubmission(request: FastifyRequest) {
  const files: SourceFile[] = [];
  const fields: Record<string, string> = {};
  for await (const part of request.parts()) {
    if (part.type === 'field') {
      fields[part.fieldname] = String(part.value);
      continue;
    }
    const buffer = await part.toBuffer();
    if (part.fieldname === 'archive' || part.filename.toLowerCase().endsWith('.zip')) {
      files.push(...(await extractZip(buffer)));
    } else {
      files.push({ path: part.filename, contentBase64: buffer.toString('base64') });
    }
  }
  if (!fields['language'])
    throw new ValidationError('The multipart form needs a "language" field.', { field: 'language' });
  return { language: fields['language'], files, mainFile: fields['mainFile'] };
}
