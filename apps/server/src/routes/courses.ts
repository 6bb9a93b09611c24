import {
  type AssignmentBody,
  assignmentSchema,
  createCourseSchema,
  enrollSchema,
  rosterSchema,
} from '@aperture/api-contract';
import { type AssignmentInput, gradebookToCsv, toStudentAssignment } from '@aperture/core';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
import { actorOf } from '../http/auth.ts';
import { toLimits, toSourceFiles, toTestCases } from '../http/files.ts';
import { route } from '../http/route.ts';
import { parseBody } from '../http/validate.ts';

type Params = { course: string; userId?: string };

export function courseRoutes(app: FastifyInstance, ctx: ServerContext): void {
  route(app, {
    method: 'GET',
    url: '/api/v1/courses',
    summary: 'Courses you are enrolled in (all, for admins), with your role.',
    tags: ['courses'],
    handler: async (request) => ctx.courses.list(actorOf(request)),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/courses',
    summary: 'Create a course; you become its instructor.',
    tags: ['courses'],
    body: createCourseSchema,
    handler: async (request, reply) => {
      const course = await ctx.courses.create(actorOf(request), parseBody(createCourseSchema, request.body));
      return reply.status(201).send(course);
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/courses/:course',
    summary: 'One course by id or code.',
    tags: ['courses'],
    handler: async (request) => {
      const { course, role } = await ctx.courses.get(actorOf(request), (request.params as Params).course);
      return { ...course, role: role ?? null };
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/courses/:course/enrollments',
    summary: 'The roster (course staff).',
    tags: ['courses'],
    handler: async (request) =>
      ctx.courses.listEnrollments(actorOf(request), (request.params as Params).course),
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/courses/:course/enrollments',
    summary: 'Enroll one person by username (created if new).',
    tags: ['courses'],
    body: enrollSchema,
    handler: async (request, reply) => {
      const body = parseBody(enrollSchema, request.body);
      const result = await ctx.courses.enroll(actorOf(request), (request.params as Params).course, body);
      return reply.status(result.created ? 201 : 200).send(result);
    },
  });
  route(app, {
    method: 'DELETE',
    url: '/api/v1/courses/:course/enrollments/:userId',
    summary: 'Remove someone from the course.',
    tags: ['courses'],
    handler: async (request, reply) => {
      const params = request.params as Params;
      await ctx.courses.unenroll(actorOf(request), params.course, params.userId ?? '');
      return reply.status(204).send();
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/courses/:course/roster',
    summary: 'Import a roster CSV (username[,name,email,role]); all rows or none.',
    tags: ['courses'],
    body: rosterSchema,
    handler: async (request) => {
      const csv = typeof request.body === 'string' ? request.body : parseBody(rosterSchema, request.body).csv;
      return ctx.courses.importRoster(actorOf(request), (request.params as Params).course, csv);
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/courses/:course/assignments',
    summary: 'Assignments of a course (students see no hidden tests).',
    tags: ['assignments'],
    handler: async (request) => {
      const { assignments, isStaff } = await ctx.assignments.list(
        actorOf(request),
        (request.params as Params).course,
      );
      const now = ctx.deps.clock.now();
      return isStaff ? assignments : assignments.map((a) => toStudentAssignment(a, now));
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/courses/:course/assignments',
    summary: 'Create an assignment with tests or a Gradescope autograder.',
    tags: ['assignments'],
    body: assignmentSchema,
    handler: async (request, reply) => {
      const body = parseBody(assignmentSchema, request.body);
      const assignment = await ctx.assignments.create(
        actorOf(request),
        (request.params as Params).course,
        toAssignmentInput(body),
      );
      return reply.status(201).send(assignment);
    },
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/courses/:course/gradebook',
    summary: 'Best score per student and assignment; ?format=csv for a spreadsheet.',
    tags: ['courses'],
    querystring: { format: { type: 'string', enum: ['json', 'csv'] } },
    handler: async (request, reply) => {
      const gradebook = await ctx.gradebook.forCourse(actorOf(request), (request.params as Params).course);
      if ((request.query as { format?: string }).format === 'csv') {
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="gradebook.csv"')
          .send(gradebookToCsv(gradebook));
      }
      return gradebook;
    },
  });
}

export function toAssignmentInput(body: AssignmentBody): AssignmentInput {
  return {
    ...body,
    limits: toLimits(body.limits),
    tests: toTestCases(body.tests),
    supportFiles: toSourceFiles(body.supportFiles),
    autograder: body.autograder ? { files: toSourceFiles(body.autograder.files) } : null,
  };
}
