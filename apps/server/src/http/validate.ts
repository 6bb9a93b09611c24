import { ValidationError } from '@aperture/core';
import type { z } from 'zod';

/** Parse a request part with a zod schema; failures become one ValidationError naming each field. */
export function parseBody<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what = 'request body',
): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const first = issues[0];
  const where = first?.path ? `${first.path}: ` : '';
  throw new ValidationError(`Invalid ${what}: ${where}${first?.message ?? 'malformed'}`, { issues });
}
