import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { z } from 'zod';
import { jsonSchema } from './openapi.ts';

export interface RouteSpec {
  method: HTTPMethods;
  url: string;
  summary: string;
  tags: string[];
  body?: z.ZodType;
  querystring?: Record<string, { type: string; description?: string; enum?: string[] }>;
  public?: boolean;
  handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

/**
 * Register a route with its OpenAPI description. The body schema documents the route; the
 * handler validates with zod itself (see parseBody), so there is one source of truth.
 */
export function route(app: FastifyInstance, spec: RouteSpec): void {
  const schema: Record<string, unknown> = { summary: spec.summary, tags: spec.tags };
  if (spec.body) schema['body'] = jsonSchema(spec.body);
  if (spec.querystring) schema['querystring'] = { type: 'object', properties: spec.querystring };
  if (!spec.public) schema['security'] = [{ bearer: [] }, { cookie: [] }];
  app.route({
    method: spec.method,
    url: spec.url,
    schema,
    config: { public: spec.public === true },
    handler: spec.handler,
  });
}
