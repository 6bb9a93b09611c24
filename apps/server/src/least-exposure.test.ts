import type { BackendHealth } from '@aperture/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from './demo-seed.ts';
import { ScriptedExecutor } from './testing/scripted-executor.ts';
import { BOOTSTRAP_TOKEN, startTestServer, type TestServer } from './testing/test-server.ts';

/** A backend that is down, and says where its socket is (as Podman's health does). */
class DownExecutor extends ScriptedExecutor {
  override async health(): Promise<BackendHealth> {
    return { ok: false, backend: 'podman-api', details: { error: 'connect ENOENT /run/secret/podman.sock' } };
  }
}

describe('least exposure', () => {
  let t: TestServer;
  let student: string;
  let instructor: string;

  beforeAll(async () => {
    t = await startTestServer(new DownExecutor());
    student = await t.login('student', DEMO_PASSWORD);
    instructor = await t.login('instructor', DEMO_PASSWORD);
  });
  afterAll(async () => t?.close());

  it('the system API (everyone’s queue counts, the backend’s socket) is for staff and admins only', async () => {
    const refused = await t.api(student, 'GET', '/api/v1/system');
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).not.toMatch(/sock|queued/);
    expect((await t.api(instructor, 'GET', '/api/v1/system')).status).toBe(200); // a staff account
    const admin = await t.api(BOOTSTRAP_TOKEN, 'GET', '/api/v1/system');
    expect(admin.status).toBe(200);
    expect(admin.body.backend.details.error).toContain('podman.sock'); // staff see why
  });

  it('readiness says what is down, to anyone, but not why (no paths, no driver messages)', async () => {
    const ready = await t.api(undefined, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({
      status: 'not ready',
      checks: { database: { ok: true }, backend: { ok: false } },
    });
  });

  it('an unknown route or a server error names no file or stack', async () => {
    const missing = await t.api(student, 'GET', '/api/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(JSON.stringify(missing.body)).not.toMatch(/\/work\/|node_modules|\.ts:\d+/);
  });
});
