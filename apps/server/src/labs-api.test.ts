import { catalogLabTemplate } from '@aperture/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from './demo-seed.ts';
import { ScriptedExecutor } from './testing/scripted-executor.ts';
import { startTestServer, type TestServer } from './testing/test-server.ts';

let t: TestServer;
let instructor: string;

beforeAll(async () => {
  t = await startTestServer(new ScriptedExecutor());
  instructor = await t.login('instructor', DEMO_PASSWORD);
});
afterAll(async () => t?.close());

describe('lab template API', () => {
  it('publishes the JSON Schema', async () => {
    const schema = await t.api(undefined, 'GET', '/api/v1/labs/schema');
    expect(schema.status).toBe(200);
    expect(schema.body.$schema).toContain('json-schema.org');
  });

  it('lists the built-in types', async () => {
    const types = await t.api(instructor, 'GET', '/api/v1/labs/types');
    expect(types.body.map((entry: { type: string }) => entry.type)).toEqual([
      'shell',
      'webserver',
      'database',
      'desktop',
    ]);
  });

  it('validates YAML text and objects, naming every bad field', async () => {
    const built = catalogLabTemplate('webserver', { cpu: '1', memory: '1Gi', storage: '2Gi' });
    if (!built.ok) throw new Error('catalog template invalid');
    const asObject = await t.api(instructor, 'POST', '/api/v1/labs/validate', { template: built.template });
    expect(asObject.body).toMatchObject({ valid: true, template: { metadata: { name: 'webserver' } } });
    const text =
      'apiVersion: aperture.dev/v1alpha1\nkind: LabTemplate\nmetadata: { name: x }\nspec:\n  resources: { cpu: "1", memory: 1Gi, storage: 1Gi }\n  components:\n    - { name: web, image: aperture/lab-nginx, ports: [{ name: http, port: 70000 }] }\n';
    const bad = await t.api(instructor, 'POST', '/api/v1/labs/validate', { text });
    expect(bad.status).toBe(200);
    expect(bad.body.valid).toBe(false);
    expect(bad.body.errors).toContainEqual(
      expect.objectContaining({ path: 'spec.components[0].ports[0].port' }),
    );
  });

  it('refuses a malformed request with 400 and changes nothing', async () => {
    const response = await t.api(instructor, 'POST', '/api/v1/labs/validate', { text: 'x', template: {} });
    expect(response.status).toBe(400);
    expect((await t.api(undefined, 'POST', '/api/v1/labs/validate', { text: 'x' })).status).toBe(401);
  });
});
