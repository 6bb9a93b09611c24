/**
 * The lab flow over HTTP as an instructor drives it, for a test of a real engine (Podman,
 * Kubernetes): create a webserver lab → dev copy ready → checkpoint (every image pinned) → publish
 * (the checks run in a throw-away copy) → deploy to the demo course → every student ready → reset
 * one (a file they wrote is gone) → idle-stop it and open it again → destroy with a verified
 * receipt → the dev copy destroyed too.
 * Returns how long each step took.
 */
import { expect } from 'vitest';
import { DEMO_COURSE, DEMO_PASSWORD } from '../demo-seed.ts';
import type { ApiResponse, TestServer } from './test-server.ts';

const enc = encodeURIComponent;

export interface LabFlowOptions {
  /** The per-student budget; the class (2 students) and the dev copy run at once. */
  cpu: string;
  memory: string;
  /** `0`: scratch directories only, no volumes. */
  storage: string;
  /** How long one step may take. */
  stepSeconds: number;
}

export async function runLabFlow(t: TestServer, options: LabFlowOptions): Promise<Record<string, number>> {
  const instructor = await t.login('instructor', DEMO_PASSWORD);
  /** GET `path` until `done` holds (or the time runs out, failing with the last answer). */
  const until = async (path: string, done: (body: ApiResponse['body']) => boolean) => {
    const deadline = Date.now() + options.stepSeconds * 1000;
    for (;;) {
      const response = await t.api(instructor, 'GET', path);
      if (done(response.body)) return response.body;
      if (Date.now() > deadline)
        throw new Error(`${path} not done after ${options.stepSeconds} s: ${JSON.stringify(response.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  const times: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => Promise<T>) => {
    const started = Date.now();
    const result = await work();
    times[name] = Date.now() - started;
    return result;
  };
  const created = await t.api(instructor, 'POST', `/api/v1/courses/${DEMO_COURSE}/labs`, {
    type: 'webserver',
    cpu: options.cpu,
    memory: options.memory,
    storage: options.storage,
  });
  expect(created.status).toBe(201);
  const labId: string = created.body.lab.id;
  await timed('dev ready', () =>
    until(`/api/v1/labs/${labId}`, (lab) => lab.dev?.students[0]?.live === 'ready'),
  );

  const checkpoint = await t.api(instructor, 'POST', `/api/v1/labs/${labId}/checkpoint`);
  expect(checkpoint.status).toBe(201);
  const versionId: string = checkpoint.body.id;
  for (const digest of Object.values(checkpoint.body.images)) expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);

  const publish = await t.api(instructor, 'POST', `/api/v1/labs/${labId}/versions/${enc(versionId)}/publish`);
  expect(publish.status).toBe(202);
  const published = await timed('publish', () =>
    until(`/api/v1/labs/${labId}/versions/${enc(versionId)}`, (v) => v.state !== 'checking'),
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
      (v) => v.deployment.state === 'active' && v.students.every((s: { live: string }) => s.live === 'ready'),
    ),
  );
  expect(view.students.map((s: { username: string }) => s.username).sort()).toEqual(['student', 'student2']);

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

  // Idle stop (what the reconciler does after lifetime.idleStopAfter), then the student opens their
  // terminal: authorizeAccess starts the copy again and returns once it runs.
  const student2Of = (v: ApiResponse['body']) =>
    v.students.find((s: { userId: string }) => s.userId === student2);
  await timed('idle stop', async () => {
    await t.server.ctx.labs.worker.stop(deploymentId, student2, 'stopped');
    await until(`/api/v1/lab-deployments/${deploymentId}`, (v) => student2Of(v)?.live === 'stopped');
  });
  await timed('open a stopped copy', () =>
    t.server.ctx.labs.authorizeAccess(
      { userId: student2, role: 'user' },
      { deploymentId, userId: student2, component: 'shell', kind: 'terminal' },
    ),
  );
  // Ready as recorded at once; the engine may take a moment more (Kubernetes: the old pod ending).
  expect(
    student2Of(
      await until(`/api/v1/lab-deployments/${deploymentId}`, (v) => student2Of(v)?.live === 'ready'),
    ),
  ).toMatchObject({
    state: 'ready',
  });
  expect((await access.exec(shell, ['true'])).exitCode).toBe(0);

  const destroy = await t.api(instructor, 'DELETE', `/api/v1/lab-deployments/${deploymentId}`);
  expect(destroy.status).toBe(202);
  const destroyed = await timed('destroy', () =>
    until(`/api/v1/lab-deployments/${deploymentId}`, (v) => v.deployment.state === 'destroyed'),
  );
  expect(destroyed.deployment.teardown).toMatchObject({ verified: true, remaining: [], errors: [] });
  expect(destroyed.deployment.teardown.deleted).toBeGreaterThan(0);

  const lab = await t.api(instructor, 'GET', `/api/v1/labs/${labId}`);
  await t.api(instructor, 'DELETE', `/api/v1/lab-deployments/${lab.body.dev.deployment.id}`);
  await until(`/api/v1/labs/${labId}`, (l) => l.dev === null);
  await t.server.ctx.labs.worker.idle();
  return times;
}
