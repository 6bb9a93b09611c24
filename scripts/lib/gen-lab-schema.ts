/**
 * Writes docs/schemas/lab-template.v1alpha1.json, the published JSON Schema of lab templates,
 * from the zod schema in packages/api-contract. Run after changing the schema:
 *   npx tsx scripts/lib/gen-lab-schema.ts
 * packages/api-contract/src/labs/lab-template-json-schema.test.ts fails while the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labTemplateJsonSchema } from '../../packages/api-contract/src/labs/lab-template.ts';

const LAB_SCHEMA_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'docs',
  'schemas',
  'lab-template.v1alpha1.json',
);

writeFileSync(LAB_SCHEMA_FILE, `${JSON.stringify(labTemplateJsonSchema(), null, 2)}\n`);
console.log(`wrote ${LAB_SCHEMA_FILE}`);
