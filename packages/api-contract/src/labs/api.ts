/**
 * Request bodies of the lab API (docs/labs.md, "The flow"). A template arrives as text (YAML or
 * JSON, what `aperture lab apply -f` reads) or as an object; the server turns either into a checked
 * LabTemplate with `labTemplateFromBody`, so every error names its field the same way.
 */
import type { LabTemplateResult } from '@aperture/core';
import { z } from 'zod';
import { parseLabTemplate, validateLabTemplate } from './lab-template.ts';

const MAX_TEMPLATE_TEXT = 256 * 1024;
/** `1`, `"500m"`: the CLI sends strings, a hand-written body may send a number. */
const quantity = z.union([z.string().min(1).max(64), z.number().nonnegative()]).transform(String);

export const labTemplateBodySchema = z
  .union([
    z.object({ text: z.string().max(MAX_TEMPLATE_TEXT) }).strict(),
    z.object({ template: z.record(z.string(), z.unknown()) }).strict(),
  ])
  .describe('Either `text` (YAML or JSON) or `template` (an object)');

export const labCatalogBodySchema = z
  .object({
    type: z.string().min(1).max(64).describe('a built-in type: shell, webserver, database, desktop'),
    cpu: quantity,
    memory: quantity,
    storage: quantity,
    name: z.string().min(1).max(63).optional(),
  })
  .strict();

/** `POST /api/v1/courses/:course/labs`. */
export const createLabSchema = z
  .union([labCatalogBodySchema, labTemplateBodySchema])
  .describe('A built-in type with a budget, or a template as `text` or `template`');

/** `POST /api/v1/labs/:lab/deployments`. */
export const deployLabSchema = z
  .object({
    version: z.string().min(1).max(80).describe('a published version: sha256:… or its first 12 hex'),
  })
  .strict();

export type LabTemplateBody = z.infer<typeof labTemplateBodySchema>;
export type CreateLabBody = z.infer<typeof createLabSchema>;
export type DeployLabBody = z.infer<typeof deployLabSchema>;

export function labTemplateFromBody(body: LabTemplateBody): LabTemplateResult {
  return 'text' in body ? parseLabTemplate(body.text) : validateLabTemplate(body.template);
}
