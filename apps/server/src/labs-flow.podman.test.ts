/**
 * The whole lab flow over HTTP on real Podman with the real lab images (scripts/build-images.sh
 * lab-shell lab-nginx): create a webserver lab → dev copy ready → checkpoint (real digests) →
 * publish (the checks really run in a throw-away copy) → deploy to the demo course → every student
 * ready → reset one (their files are gone) → destroy with a verified receipt and nothing left.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { LABEL_INSTANCE } from '@aperture/backend-kubernetes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_COURSE, DEMO_PASSWORD } from './demo-seed.ts';
import { ScriptedExecutor } from './testing/scripted-executor.ts';
import { type ApiResponse, startTestServer, type TestServer } from './testing/test-server.ts';

const run = promisify(execFile);
const INSTANCE = `labflow-${randomBytes(3).toString('hex')}`;
const enc = encodeURIComponent;

async function podman(...args: string[]): Promise<string[]> {
  const { stdout } = await run('podman', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.split('\n').filter(Boolean);
}

/** Everything of this test's instance Podman still has. */
async function leftovers(): Promise<string[]> {
  const filter = ['--filter', `label=${LABEL_INSTANCE}=${INSTANCE}`];
  return [
    ...(await podman('ps', '--all', '--quiet', ...filter)),
    ...(await podman('volume', 'ls', '--quiet', ...filter)),
    ...(await podman('network', 'ls', '--quiet', ...filter)),
  ];
}

async function sweep(): Promise<void> {
  const filter = ['--filter', `label=${LABEL_INSTANCE}=${INSTANCE}`];
  const containers = await podman('ps', '--all', '--quiet', ...filter);
  if (containers.length > 0) await podman('rm', '--force', '--time', '0', ...containers);
  const volumes = await podman('volume', 'ls', '--quiet', ...filter);
  if (volumes.length > 0) await podman('volume', 'rm', '--force', ...volumes);
  const networks = await podman('network', 'ls', '--quiet', ...filter);
  if (networks.length > 0) await podman('network', 'rm', '--force', ...networks);
}

let t: TestServer;
let instructor: string;

/** GET `path` until `done` holds (or the time runs out, failing with the last answer). */
async function until(path: string, done: (body: ApiResponse['body']) => boolean, seconds = 120) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const response = await t.api(instructor, 'GET', path);
    if (done(response.body)) return response.body;
    if (Date.now() > deadline)
      throw new Error(`${path} not done after ${seconds} s: ${JSON.stringify(response.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('the lab flow on Podman', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    for (const image of ['lab-shell', 'lab-nginx'])
      await podman('image', 'exists', `localhost/aperture/${image}:latest`).catch(() => {
        throw new Error('missing image; run: bash scripts/build-images.sh lab-shell lab-nginx');
      });
    t = await startTestServer(new ScriptedExecutor(), { instance: INSTANCE, labReconcileSeconds: 3600 });
    instructor = await t.login('instructor', DEMO_PASSWORD);
  });
  afterAll(async () => {
    await t?.close();
    await sweep();
  });

  it('create → checkpoint → publish → deploy → reset → destroy', async () => {
    const times: Record<string, number> = {};
    const timed = async <T>(name: string, work: () => Promise<T>) => {
      const started = Date.now();
      const result = await work();
      times[name] = Date.now() - started;
      return result;
    };
    const created = await t.api(instructor, 'POST', `/api/v1/courses/${DEMO_COURSE}/labs`, {
      type: 'webserver',
      cpu: '1',
      memory: '1Gi',
      storage: '1Gi',
    });
    expect(created.status).toBe(201);
    const labId: string = created.body.lab.id;
    await timed('dev ready', () =>
      until(`/api/v1/labs/${labId}`, (lab) => lab.dev?.students[0]?.live === 'ready'),
    );

    const checkpoint = await t.api(instructor, 'POST', `/api/v1/labs/${labId}/checkpoint`);
    expect(checkpoint.status).toBe(201);
    const versionId: string = checkpoint.body.id;
    for (const digest of Object.values(checkpoint.body.images))
      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const publish = await t.api(
      instructor,
      'POST',
      `/api/v1/labs/${labId}/versions/${enc(versionId)}/publish`,
    );
    expect(publish.status).toBe(202);
    const published = await timed('publish', () =>
      until(`/api/v1/labs/${labId}/versions/${enc(versionId)}`, (v) => v.state !== 'checking', 240),
    );
    expect(published.state, JSON.stringify(published.checkResults)).toBe('published');
    expect(published.checkResults.map((r: { kind: string; ok: boolean }) => [r.kind, r.ok])).toEqual([
      ['http', true],
      ['exec', true],
    ]);

    const deploy = await t.api(instructor, 'POST', `/api/v1/labs/${labId}/deployments`, {
      version: versionId,
    });
    expect(deploy.status).toBe(202);
    const deploymentId: string = deploy.body.deployment.id;
    const view = await timed('class ready', () =>
      until(
        `/api/v1/lab-deployments/${deploymentId}`,
        (v) =>
          v.deployment.state === 'active' && v.students.every((s: { live: string }) => s.live === 'ready'),
      ),
    );
    expect(view.students.map((s: { username: string }) => s.username).sort()).toEqual([
      'student',
      'student2',
    ]);

    // A file in student2's home, then a reset: the copy is back to the version as published.
    const student2 = view.students.find((s: { username: string }) => s.username === 'student2')
      .userId as string;
    const shell = { deploymentId, studentId: student2, component: 'shell' };
    const access = t.server.ctx.labProvisioner;
    expect((await access.exec(shell, ['sh', '-c', 'echo mine > /home/student/work.txt'])).exitCode).toBe(0);
    const reset = await t.api(
      instructor,
      'POST',
      `/api/v1/lab-deployments/${deploymentId}/students/${student2}/reset`,
    );
    expect(reset.status).toBe(202);
    await timed('reset', () =>
      until(`/api/v1/lab-deployments/${deploymentId}`, (v) =>
        v.students.some(
          (s: { userId: string; state: string; live: string }) =>
            s.userId === student2 && s.state === 'ready' && s.live === 'ready',
        ),
      ),
    );
    expect((await access.exec(shell, ['test', '-e', '/home/student/work.txt'])).exitCode).toBe(1);

    const destroy = await t.api(instructor, 'DELETE', `/api/v1/lab-deployments/${deploymentId}`);
    expect(destroy.status).toBe(202);
    const destroyed = await timed('destroy', () =>
      until(`/api/v1/lab-deployments/${deploymentId}`, (v) => v.deployment.state === 'destroyed'),
    );
    expect(destroyed.deployment.teardown).toMatchObject({ verified: true, remaining: [], errors: [] });
    expect(destroyed.deployment.teardown.deleted).toBeGreaterThan(0);

    // The dev copy goes the same way; then nothing of this instance is left in Podman.
    const lab = await t.api(instructor, 'GET', `/api/v1/labs/${labId}`);
    await t.api(instructor, 'DELETE', `/api/v1/lab-deployments/${lab.body.dev.deployment.id}`);
    await until(`/api/v1/labs/${labId}`, (l) => l.dev === null);
    await t.server.ctx.labs.worker.idle();
    expect(await leftovers()).toEqual([]);
    console.info('lab flow on Podman (ms):', JSON.stringify(times));
  });
});
