import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from './demo-seed.ts';
import { ScriptedExecutor } from './testing/scripted-executor.ts';
import { startTestServer, type TestServer } from './testing/test-server.ts';

let t: TestServer;
let instructor: string;
let student: string;
let student2: string;

beforeAll(async () => {
  t = await startTestServer(new ScriptedExecutor());
  instructor = await t.login('instructor', DEMO_PASSWORD);
  student = await t.login('student', DEMO_PASSWORD);
  student2 = await t.login('student2', DEMO_PASSWORD);
});
afterAll(async () => t?.close());

describe('GET /api/v1/runs/:id/files', () => {
  let runId: string;
  beforeAll(async () => {
    const hello = await t.api(student, 'GET', '/api/v1/courses/DEMO101/assignments/hello');
    const created = await t.api(student, 'POST', `/api/v1/assignments/${hello.body.id}/submissions`, {
      language: 'python',
      files: [
        { path: 'main.py', content: 'hello\n' },
        { path: 'data.bin', contentBase64: Buffer.from([0xff, 0xfe, 0x00]).toString('base64') },
      ],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    runId = created.body.id;
  });

  it('gives the owner the files, text as text and binary as base64', async () => {
    const response = await t.api(student, 'GET', `/api/v1/runs/${runId}/files`);
    expect(response.status).toBe(200);
    expect(response.body.mainFile).toBe('main.py');
    expect(response.body.files).toEqual([
      { path: 'main.py', size: 6, content: 'hello\n', contentBase64: null },
      { path: 'data.bin', size: 3, content: null, contentBase64: '//4A' },
    ]);
  });

  it('gives course staff the files of any student', async () => {
    const response = await t.api(instructor, 'GET', `/api/v1/runs/${runId}/files`);
    expect(response.status).toBe(200);
    expect(response.body.files[0].content).toBe('hello\n');
  });

  it('hides them from another student and from anonymous callers', async () => {
    expect((await t.api(student2, 'GET', `/api/v1/runs/${runId}/files`)).status).toBe(404);
    expect((await t.api(undefined, 'GET', `/api/v1/runs/${runId}/files`)).status).toBe(401);
  });
});

describe('web UI fallback', () => {
  it('keeps JSON 404s for unknown API paths', async () => {
    const response = await t.api(student, 'GET', '/api/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
  });

  it('answers HTML for app paths (the app, or how to build it)', async () => {
    const response = await t.api(undefined, 'GET', '/courses/DEMO101');
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.body).toContain('Aperture');
  });
});
