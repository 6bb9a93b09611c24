import { jsonNestingDepth, MAX_JSON_DEPTH } from '@aperture/api-contract';
import { ValidationError } from '@aperture/core';
import type { FastifyInstance } from 'fastify';

/** Roster CSVs and other text bodies: far above any class list, far below the memory of one request. */
export const MAX_TEXT_BODY_BYTES = 5 * 1024 * 1024;

/**
 * Every body parser is bounded before it parses. Size: Fastify's `bodyLimit` (and the text limit
 * here) refuse a body while it arrives. JSON depth: measured in one pass before `JSON.parse`,
 * because whatever walks a parsed value afterwards (validation, serialisation) recurses once per
 * level, and a deep enough value ends the stack (bounds/nesting.ts in api-contract). Prototype
 * keys (`__proto__`, `constructor.prototype`) are refused, as Fastify's own parser does.
 */
export function registerBodyParsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (jsonNestingDepth(text) > MAX_JSON_DEPTH) {
      done(new ValidationError(`The JSON body nests more than ${MAX_JSON_DEPTH} levels deep.`), undefined);
      return;
    }
    parseJson(request, text, done);
  });
  app.addContentTypeParser(
    ['text/csv', 'text/plain'],
    { parseAs: 'string', bodyLimit: MAX_TEXT_BODY_BYTES },
    (_request, body, done) => done(null, body),
  );
}
