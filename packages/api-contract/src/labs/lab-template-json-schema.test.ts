import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { catalogLabTemplate, LAB_CATALOG_TYPES } from '@aperture/core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { labTemplateJsonSchema } from './lab-template.ts';

const SCHEMA_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../docs/schemas/lab-template.v1alpha1.json',
);

describe('the published JSON Schema', () => {
  it('docs/schemas/lab-template.v1alpha1.json is up to date (regenerate: npx tsx scripts/lib/gen-lab-schema.ts)', () => {
    // Compared as data, not text: the formatter may lay the file out differently.
    expect(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'))).toEqual(labTemplateJsonSchema());
  });

  it('is a schema a standard validator compiles, accepting valid templates and rejecting unknown fields', () => {
    const validate = new Ajv2020({ strict: false }).compile(labTemplateJsonSchema());
    for (const type of LAB_CATALOG_TYPES) {
      const built = catalogLabTemplate(type, { cpu: '1', memory: '1Gi', storage: '1Gi' });
      if (!built.ok) throw new Error(type);
      expect(validate(built.template), JSON.stringify(validate.errors)).toBe(true);
    }
    const minimal = {
      apiVersion: 'aperture.dev/v1alpha1',
      kind: 'LabTemplate',
      metadata: { name: 'shell' },
      spec: {
        resources: { cpu: 1, memory: '1Gi', storage: 0 },
        components: [{ name: 'shell', image: 'aperture/lab-shell' }],
      },
    };
    expect(validate(minimal), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...minimal, spec: { ...minimal.spec, replicas: 2 } })).toBe(false);
    expect(validate({ ...minimal, apiVersion: 'aperture.dev/v2' })).toBe(false);
  });
});
