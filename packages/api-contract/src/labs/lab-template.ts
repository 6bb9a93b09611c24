/**
 * Lab templates in and out of the API: `parseLabTemplate` for YAML or JSON text (the CLI's
 * `lab apply -f`, the web builder's editor), `validateLabTemplate` for an already-decoded body,
 * and the JSON Schema editors use. Every error names its field; see docs/labs.md.
 */
import {
  checkLabTemplate,
  LAB_API_VERSION,
  LAB_TEMPLATE_KIND,
  type LabTemplate,
  type LabTemplateResult,
} from '@aperture/core';
import { z } from 'zod';
import { labTemplateSchema } from './lab-template-schema.ts';
import { readYamlDocument } from './yaml-document.ts';
import { labIssueMessage, problemsOf } from './zod-problems.ts';

export { labTemplateSchema } from './lab-template-schema.ts';

export const LAB_TEMPLATE_SCHEMA_ID = 'https://aperture.dev/schemas/lab-template.v1alpha1.json';

export function parseLabTemplate(text: string): LabTemplateResult {
  const read = readYamlDocument(text);
  return read.ok ? validateLabTemplate(read.value) : read;
}

export function validateLabTemplate(value: unknown): LabTemplateResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('', 'a lab template is a mapping with apiVersion, kind, metadata and spec');
  }
  const header = checkHeader(value as Record<string, unknown>);
  if (header) return header;
  const parsed = labTemplateSchema.safeParse(value, { error: labIssueMessage });
  if (!parsed.success) return { ok: false, errors: problemsOf(parsed.error.issues) };
  const template = withoutUndefined(parsed.data);
  const errors = checkLabTemplate(template);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, template };
}

/**
 * apiVersion and kind first, alone: in a document of another version or kind, every other field
 * could be "wrong", and a page of such errors would hide the one that matters.
 */
function checkHeader(value: Record<string, unknown>): LabTemplateResult | undefined {
  const errors = [];
  if (value['apiVersion'] !== LAB_API_VERSION) {
    errors.push({
      path: 'apiVersion',
      message: `must be "${LAB_API_VERSION}"${got(value['apiVersion'])}; this Aperture reads that version only`,
    });
  }
  if (value['kind'] !== LAB_TEMPLATE_KIND) {
    errors.push({ path: 'kind', message: `must be "${LAB_TEMPLATE_KIND}"${got(value['kind'])}` });
  }
  return errors.length > 0 ? { ok: false, errors } : undefined;
}

function got(value: unknown): string {
  return value === undefined ? ' (it is missing)' : ` (got ${JSON.stringify(value)})`;
}

function fail(path: string, message: string): LabTemplateResult {
  return { ok: false, errors: [{ path, message }] };
}

type SchemaOutput = z.output<typeof labTemplateSchema>;

/**
 * zod types an optional field as `T | undefined`, core (exactOptionalPropertyTypes) as absent-or-T.
 * zod never produces an undefined value for an absent key, so this only changes the type; the
 * assertion below keeps the two definitions from drifting apart.
 */
function withoutUndefined(parsed: SchemaOutput): LabTemplate {
  return parsed as StripUndefined<SchemaOutput>;
}

type StripUndefined<T> = T extends readonly (infer Item)[]
  ? StripUndefined<Item>[]
  : T extends object
    ? { [K in keyof T]: StripUndefined<Exclude<T[K], undefined>> }
    : T;
/** Identical types, optional fields included (mutual assignability would let an optional field drift). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Fails to compile when the schema and core's LabTemplate type disagree. */
export type LabTemplateSchemaMatchesCore = Assert<Same<StripUndefined<SchemaOutput>, LabTemplate>>;
type Assert<T extends true> = T;

/** The published JSON Schema (docs/schemas/lab-template.v1alpha1.json), for editors and API users. */
export function labTemplateJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(labTemplateSchema, { io: 'input', target: 'draft-2020-12' });
  return {
    ...schema,
    $id: LAB_TEMPLATE_SCHEMA_ID,
    title: 'Aperture LabTemplate (aperture.dev/v1alpha1)',
    description:
      'One lab: its components, the per-student budget, checks and lifetime. Cross-field rules ' +
      '(the components fit the budget, checks name real ports) are checked by Aperture; see docs/labs.md.',
  };
}
