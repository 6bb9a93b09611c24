/**
 * The lab flow over HTTP against a real server, on SQLite and on PostgreSQL; the engine is FakeLabBackend
 * (labs-flow.podman.test.ts runs the same flow on Podman). The subject: status codes, who may do
 * what, the states the store records, and the reconciler's later enrollees, idle stop and recovery.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_COURSE, DEMO_PASSWORD } from './demo-seed.ts';
import { FakeLabBackend } from './testing/fake-lab-backend.ts';
import { ScriptedExecutor } from './testing/scripted-executor.ts';
import { freshPostgresDatabase, startTestServer, type TestServer } from './testing/test-server.ts';

let t: TestServer;
let backend: FakeLabBackend;
let instructor: string;
let student: string;
let student2: string;

const enc = encodeURIComponent;
/** A lab of the built-in `webserver` type, as the web UI's New lab sends it. */
const WEBSERVER = { type: 'webserver', cpu: 1, memory: '1Gi', storage: '2Gi' };

beforeAll(async () => {
  backend = new FakeLabBackend();
  // A long reconcile interval: the tests tick the reconciler themselves.
  t = await startTestServer(
    new ScriptedExecutor(),
    { labReconcileSeconds: 3600, labCheckTimeoutSeconds: 1 },
    { labBackend: backend },
  );
  instructor = await t.login('instructor', DEMO_PASSWORD);
  student = await t.login('student', DEMO_PASSWORD);
  student2 = await t.login('student2', DEMO_PASSWORD);
});
afterAll(async () => t?.close());

const settle = () => t.server.ctx.labs.worker.idle();

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`the lab flow over HTTP on ${dialect}`, () => {
    beforeAll(async () => {
      backend = new FakeLabBackend();
      const databaseUrl =
        dialect === 'postgres' ? await freshPostgresDatabase(inject('postgresUrl')) : undefined;
      // A long reconcile interval: the tests tick the reconciler themselves.
      t = await startTestServer(
        new ScriptedExecutor(),
        { labReconcileSeconds: 3600, labCheckTimeoutSeconds: 1, ...(databaseUrl ? { databaseUrl } : {}) },
        { labBackend: backend },
      );
      instructor = await t.login('instructor', DEMO_PASSWORD);
      student = await t.login('student', DEMO_PASSWORD);
      student2 = await t.login('student2', DEMO_PASSWORD);
    });
    afterAll(async () => t?.close());

    let labId: string;
    let versionId: string;
    let deploymentId: string;

    it('creates a lab from a built-in type; its dev copy is deployed for the instructor', async () => {
      const created = await t.api(instructor, 'POST', `/api/v1/courses/${DEMO_COURSE}/labs`, WEBSERVER);
      expect(created.status).toBe(201);
      labId = created.body.lab.id;
      expect(created.body.lab.name).toBe('webserver');
      // Deployed in the background: it may already be done by the time the answer is written.
      expect(created.body.dev.deployment.kind).toBe('dev');
      expect(['deploying', 'active']).toContain(created.body.dev.deployment.state);
      await settle();
      const lab = await t.api(instructor, 'GET', `/api/v1/labs/${labId}`);
      expect(lab.body.dev.deployment.state).toBe('active');
      expect(lab.body.dev.students).toEqual([
        expect.objectContaining({ username: 'instructor', state: 'ready', live: 'ready' }),
      ]);
      const again = await t.api(instructor, 'POST', `/api/v1/courses/${DEMO_COURSE}/labs`, WEBSERVER);
      expect(again.status).toBe(409);
    });

    it('refuses a bad template naming the field, and students altogether', async () => {
      const bad = await t.api(instructor, 'POST', `/api/v1/courses/${DEMO_COURSE}/labs`, {
        type: 'webserver',
        cpu: '0.001',
        memory: '1Gi',
        storage: '2Gi',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.field).toBe('spec.resources.cpu');
      const text = await t.api(instructor, 'POST', `/api/v1/courses/${DEMO_COURSE}/labs`, {
        text: 'apiVersion: aperture.dev/v1alpha1\nkind: LabTemplate\nmetadata: { name: x }\nspec: { prots: 1 }\n',
      });
      expect(text.status).toBe(400);
      expect(text.body.error.details.errors.length).toBeGreaterThan(0);
      expect((await t.api(student, 'GET', `/api/v1/courses/${DEMO_COURSE}/labs`)).status).toBe(403);
      expect((await t.api(student, 'GET', `/api/v1/labs/${labId}`)).status).toBe(403);
      expect((await t.api(instructor, 'GET', `/api/v1/courses/${DEMO_COURSE}/labs`)).body).toEqual([
        expect.objectContaining({ id: labId, name: 'webserver', versions: 0, published: 0, deployments: 1 }),
      ]);
    });

    it('checkpoints once per content (201, then 200) with every image pinned', async () => {
      const first = await t.api(instructor, 'POST', `/api/v1/labs/${labId}/checkpoint`);
      expect(first.status).toBe(201);
      versionId = first.body.id;
      expect(versionId).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(Object.keys(first.body.images).sort()).toEqual(['aperture/lab-nginx', 'aperture/lab-shell']);
      const second = await t.api(instructor, 'POST', `/api/v1/labs/${labId}/checkpoint`);
      expect(second.status).toBe(200);
      expect(second.body.id).toBe(versionId);
      const short = versionId.slice(7, 19);
      expect((await t.api(instructor, 'GET', `/api/v1/labs/${labId}/versions/${short}`)).body.id).toBe(
        versionId,
      );
    });

    it('will not deploy a version that is not published', async () => {
      const refused = await t.api(instructor, 'POST', `/api/v1/labs/${labId}/deployments`, {
        version: versionId,
      });
      expect(refused.status).toBe(400);
      expect(refused.body.error.details.field).toBe('version');
    });

    it('publishes after the checks pass in a throw-away copy that is then torn down', async () => {
      const started = await t.api(
        instructor,
        'POST',
        `/api/v1/labs/${labId}/versions/${enc(versionId)}/publish`,
      );
      expect(started.status).toBe(202);
      expect(started.body.state).toBe('checking');
      await settle();
      const version = await t.api(instructor, 'GET', `/api/v1/labs/${labId}/versions/${enc(versionId)}`);
      expect(version.body.state).toBe('published');
      expect(version.body.checkResults).toEqual([
        expect.objectContaining({ index: 0, kind: 'http', ok: true }),
        expect.objectContaining({ index: 1, kind: 'exec', ok: true }),
      ]);
      const lab = await t.api(instructor, 'GET', `/api/v1/labs/${labId}`);
      const check = lab.body.deployments.find((d: { kind: string }) => d.kind === 'check');
      expect(check).toMatchObject({ state: 'destroyed', teardown: { verified: true } });
    });

    it('a failing check leaves the version check_failed with the result', async () => {
      const edited = await t.api(instructor, 'GET', `/api/v1/labs/${labId}`);
      const template = structuredClone(edited.body.lab.devTemplate);
      template.metadata.description = 'a second version';
      const put = await t.api(instructor, 'PUT', `/api/v1/labs/${labId}/template`, { template });
      expect(put.status).toBe(200);
      const second = await t.api(instructor, 'POST', `/api/v1/labs/${labId}/checkpoint`);
      expect(second.status).toBe(201);
      const diff = await t.api(
        instructor,
        'GET',
        `/api/v1/labs/${labId}/versions/${enc(versionId)}/diff?against=${enc(second.body.id)}`,
      );
      expect(diff.body.changes).toEqual([
        expect.objectContaining({
          path: 'metadata.description',
          change: 'changed',
          after: 'a second version',
        }),
      ]);
      backend.execExitCode = 1;
      const release = backend.hold();
      try {
        await t.api(instructor, 'POST', `/api/v1/labs/${labId}/versions/${enc(second.body.id)}/publish`);
        const conflict = await t.api(
          instructor,
          'POST',
          `/api/v1/labs/${labId}/versions/${enc(second.body.id)}/publish`,
        );
        expect(conflict.status).toBe(409);
        release();
        await settle();
      } finally {
        release();
        backend.execExitCode = 0;
      }
      const failed = await t.api(instructor, 'GET', `/api/v1/labs/${labId}/versions/${enc(second.body.id)}`);
      expect(failed.body.state).toBe('check_failed');
      expect(failed.body.checkResults.map((r: { ok: boolean }) => r.ok)).toEqual([true, false]);
    });

    it('deploys to every student of the course; each sees their own copy and may open only it', async () => {
      const deployed = await t.api(instructor, 'POST', `/api/v1/labs/${labId}/deployments`, {
        version: versionId,
      });
      expect(deployed.status).toBe(202);
      deploymentId = deployed.body.deployment.id;
      expect(deployed.body.deployment).toMatchObject({ kind: 'course', state: 'deploying' });
      await settle();
      const view = await t.api(instructor, 'GET', `/api/v1/lab-deployments/${deploymentId}`);
      expect(view.body.deployment.state).toBe('active');
      expect(view.body.counts).toEqual({ ready: 2 });
      expect(view.body.students.map((s: { username: string }) => s.username).sort()).toEqual([
        'student',
        'student2',
      ]);
      const mine = await t.api(student, 'GET', '/api/v1/me/labs');
      expect(mine.body).toEqual([
        expect.objectContaining({
          deploymentId,
          labName: 'webserver',
          courseCode: DEMO_COURSE,
          kind: 'course',
          state: 'ready',
          components: [
            { name: 'web', terminal: false, vnc: false, httpPorts: [8080] },
            { name: 'shell', terminal: true, vnc: false, httpPorts: [] },
          ],
          // What the card says about the idle stop: the webserver type stops after 2 h unused.
          lastAccessAt: null,
          idleStopAfterMs: 2 * 3_600_000,
          expiresAt: expect.any(String),
        }),
      ]);
      // Never opened: counted from the copy's creation.
      const studentId = (await t.api(student, 'GET', '/api/v1/me')).body.id as string;
      const stored = await t.server.ctx.deps.store.labEnvironments.get(deploymentId, studentId);
      expect(Date.parse(mine.body[0].idleStopAt)).toBe(Date.parse(stored!.createdAt) + 2 * 3_600_000);
      expect((await t.api(student, 'GET', `/api/v1/lab-deployments/${deploymentId}`)).status).toBe(403);
      const labs = t.server.ctx.labs;
      const me = (await t.api(student, 'GET', '/api/v1/me')).body.id as string;
      const other = (await t.api(student2, 'GET', '/api/v1/me')).body.id as string;
      const actor = { userId: me, role: 'user' as const };
      await expect(
        labs.authorizeAccess(actor, { deploymentId, userId: me, component: 'shell', kind: 'terminal' }),
      ).resolves.toEqual({ deploymentId, studentId: me, component: 'shell' });
      await expect(
        labs.authorizeAccess(actor, { deploymentId, userId: other, component: 'shell', kind: 'terminal' }),
      ).rejects.toMatchObject({ code: 'forbidden' });
      await expect(
        labs.authorizeAccess(actor, { deploymentId, userId: me, component: 'web', kind: 'terminal' }),
      ).rejects.toMatchObject({ code: 'validation_failed' });
      await expect(
        labs.authorizeAccess(actor, { deploymentId, userId: me, component: 'web', kind: 'http', port: 8080 }),
      ).resolves.toMatchObject({ component: 'web' });
    });

    it('refuses a second deploy of a version already deployed, naming the live deployment', async () => {
      const again = await t.api(instructor, 'POST', `/api/v1/labs/${labId}/deployments`, {
        version: versionId,
      });
      expect(again.status).toBe(409);
      expect(again.body.error.message).toContain(deploymentId);
      expect(again.body.error.details.deployment).toBe(deploymentId);
      const lab = await t.api(instructor, 'GET', `/api/v1/labs/${labId}`);
      expect(lab.body.deployments.filter((d: { kind: string }) => d.kind === 'course')).toHaveLength(1);
    });

    it('gives a student enrolled later the lab, and stops the copy of one who left', async () => {
      const enrolled = await t.api(instructor, 'POST', `/api/v1/courses/${DEMO_COURSE}/enrollments`, {
        username: 'late',
        role: 'student',
      });
      expect(enrolled.status).toBe(201);
      await t.server.ctx.labReconciler.tick();
      await settle();
      const other = (await t.api(student2, 'GET', '/api/v1/me')).body.id as string;
      expect(
        (await t.api(instructor, 'DELETE', `/api/v1/courses/${DEMO_COURSE}/enrollments/${other}`)).status,
      ).toBe(204);
      await t.server.ctx.labReconciler.tick();
      await settle();
      const view = await t.api(instructor, 'GET', `/api/v1/lab-deployments/${deploymentId}`);
      const states = Object.fromEntries(
        view.body.students.map((s: { username: string; state: string }) => [s.username, s.state]),
      );
      expect(states).toEqual({ student: 'ready', student2: 'removed', late: 'ready' });
    });

    it('resets one student, and starts a stopped copy again', async () => {
      const me = (await t.api(student, 'GET', '/api/v1/me')).body.id as string;
      const reset = await t.api(
        instructor,
        'POST',
        `/api/v1/lab-deployments/${deploymentId}/students/${me}/reset`,
      );
      expect(reset.status).toBe(202);
      expect(reset.body.state).toBe('resetting');
      await settle();
      expect(backend.calls).toContain(`reset ${deploymentId} student`);
      await t.server.ctx.labs.worker.stop(deploymentId, me, 'stopped');
      const start = await t.api(
        student,
        'POST',
        `/api/v1/lab-deployments/${deploymentId}/students/${me}/start`,
      );
      expect(start.status).toBe(202);
      await settle();
      const view = await t.api(instructor, 'GET', `/api/v1/lab-deployments/${deploymentId}`);
      expect(view.body.students.find((s: { userId: string }) => s.userId === me)).toMatchObject({
        state: 'ready',
        live: 'ready',
      });
    });

    it('destroys a deployment with a verified receipt', async () => {
      const destroyed = await t.api(instructor, 'DELETE', `/api/v1/lab-deployments/${deploymentId}`);
      expect(destroyed.status).toBe(202);
      expect(destroyed.body.state).toBe('destroying');
      await settle();
      const view = await t.api(instructor, 'GET', `/api/v1/lab-deployments/${deploymentId}`);
      expect(view.body.deployment).toMatchObject({
        state: 'destroyed',
        teardown: { verified: true, remaining: [], errors: [], deleted: 3 },
      });
      expect(view.body.counts).toEqual({ removed: 3 });
      expect((await t.api(student, 'GET', '/api/v1/me/labs')).body).toEqual([]);
      // Destroyed, the version may be deployed again.
      const again = await t.api(instructor, 'POST', `/api/v1/labs/${labId}/deployments`, {
        version: versionId,
      });
      expect(again.status).toBe(202);
      await settle();
    });

    it('deletes a lab only once its class copies are destroyed, tearing down its dev copy first', async () => {
      const lab = (await t.api(instructor, 'GET', `/api/v1/labs/${labId}`)).body;
      const live = lab.deployments.find(
        (d: { kind: string; state: string }) => d.kind === 'course' && d.state === 'active',
      );
      const dev = lab.dev.deployment.id as string;
      const refused = await t.api(instructor, 'DELETE', `/api/v1/labs/${labId}`);
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toContain(live.id);
      expect(refused.body.error.details).toEqual({ deployments: [live.id] });
      expect((await t.api(student, 'DELETE', `/api/v1/labs/${labId}`)).status).toBe(403);
      await t.api(instructor, 'DELETE', `/api/v1/lab-deployments/${live.id}`);
      await settle();

      // A teardown the engine does not verify leaves the lab as it was, and says so (503).
      backend.stuck.add(dev);
      const unverified = await t.api(instructor, 'DELETE', `/api/v1/labs/${labId}`);
      expect(unverified.status).toBe(503);
      expect(unverified.body.error.message).toMatch(/not torn down yet \(left: Namespace fake-/);
      expect((await t.api(instructor, 'GET', `/api/v1/labs/${labId}`)).status).toBe(200);
      backend.stuck.delete(dev);

      const deleted = await t.api(instructor, 'DELETE', `/api/v1/labs/${labId}`);
      expect(deleted.status).toBe(204);
      expect(backend.calls).toContain(`teardown ${dev}`);
      expect(backend.copiesOf(dev).size).toBe(0);
      expect((await t.api(instructor, 'GET', `/api/v1/labs/${labId}`)).status).toBe(404);
      const listed = (await t.api(instructor, 'GET', `/api/v1/courses/${DEMO_COURSE}/labs`)).body;
      expect(listed.map((l: { id: string }) => l.id)).not.toContain(labId);
      expect(await t.server.ctx.deps.store.labDeployments.get(live.id)).toBeUndefined();
      expect((await t.api(instructor, 'DELETE', `/api/v1/labs/${labId}`)).status).toBe(404);
      // The name is free again.
      const again = await t.api(instructor, 'POST', `/api/v1/courses/${DEMO_COURSE}/labs`, WEBSERVER);
      expect(again.status).toBe(201);
      expect(again.body.lab.id).not.toBe(labId);
      await settle();
    });
  });
}
