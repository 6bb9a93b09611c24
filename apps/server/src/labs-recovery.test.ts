import {
  type Actor,
  AuthService,
  type CoreDeps,
  CourseService,
  type LabAccessRequest,
  LabReconciler,
  LabService,
  type LabServiceOptions,
  type Store,
} from '@aperture/core';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeLabBackend } from './testing/fake-lab-backend.ts';
import { type LabCourse, openLabCourse } from './testing/lab-course.ts';

const logger = pino({ level: 'silent' });
const HOUR = 3_600_000;

let store: Store;
let clock: { at: number };
let deps: CoreDeps;
let instructor: Actor;
let students: Actor[];
let course: LabCourse;

function aperture(backend = new FakeLabBackend(), options: Partial<LabServiceOptions> = {}) {
  const labs = new LabService(deps, backend, { logger, checkTimeoutMs: 200, pollIntervalMs: 5, ...options });
  const reconciler = new LabReconciler(deps, labs.worker, { logger });
  return { backend, labs, reconciler, settle: () => labs.worker.idle() };
}

beforeEach(async () => {
  clock = { at: Date.parse('2026-01-05T09:00:00.000Z') };
  course = await openLabCourse({ now: () => new Date(clock.at), students: ['sam', 'robin'] });
  ({ store, deps, instructor, students } = course);
});

afterEach(() => course.close());

/** A published lab with v1 deployed to the course and every copy settled. */
async function deployedLab(p: ReturnType<typeof aperture>) {
  const lab = await publishedLab(p);
  const { deployment } = await p.labs.deploy(instructor, lab.labId, lab.v1);
  await p.settle();
  return { lab, deployment };
}

/** A lab with a published first version and a checkpointed (draft) second one. */
async function publishedLab(p: ReturnType<typeof aperture>) {
  const detail = await p.labs.create(instructor, 'NET1', {
    type: 'webserver',
    cpu: '1',
    memory: '1Gi',
    storage: '1Gi',
  });
  await p.settle();
  const { version: v1 } = await p.labs.checkpoint(instructor, detail.lab.id);
  await p.labs.publish(instructor, detail.lab.id, v1.id);
  await p.settle();
  const template = structuredClone(detail.lab.devTemplate);
  template.metadata.description = 'second';
  await p.labs.applyDevTemplate(instructor, detail.lab.id, template);
  await p.settle();
  const { version: v2 } = await p.labs.checkpoint(instructor, detail.lab.id);
  return { labId: detail.lab.id, v1: v1.id, v2: v2.id, dev: detail.dev?.deployment.id ?? '' };
}

/** Opening a copy's terminal (`shell`) or its web port (`web:8080`), as the routes ask. */
const shell = (deploymentId: string, userId: string): LabAccessRequest => ({
  deploymentId,
  userId,
  component: 'shell',
  kind: 'terminal',
});
const web = (deploymentId: string, userId: string): LabAccessRequest => ({
  deploymentId,
  userId,
  component: 'web',
  kind: 'http',
  port: 8080,
});

describe('lab recovery after a crash', () => {
  it('a second process finishes the deploy, the check and the destroy the first left half done', async () => {
    const first = aperture();
    const lab = await publishedLab(first);
    first.backend.hold(); // from here on the first engine never answers: the process "dies"
    const view = await first.labs.deploy(instructor, lab.labId, lab.v1);
    await first.labs.publish(instructor, lab.labId, lab.v2);
    await first.labs.destroy(instructor, lab.dev);
    await new Promise((done) => setTimeout(done, 50));
    expect((await store.labDeployments.get(view.deployment.id))?.state).toBe('deploying');
    expect((await store.labVersions.get(lab.labId, lab.v2))?.state).toBe('checking');
    expect((await store.labDeployments.get(lab.dev))?.state).toBe('destroying');

    const second = aperture();
    const summary = await second.reconciler.tick();
    expect(summary).toMatchObject({ checks: 1, applies: 1, teardowns: 1 });
    await second.settle();
    expect((await store.labDeployments.get(view.deployment.id))?.state).toBe('active');
    const copies = await store.labEnvironments.listByDeployment(view.deployment.id);
    expect(copies.map((c) => [c.username, c.state]).sort()).toEqual([
      ['robin', 'ready'],
      ['sam', 'ready'],
    ]);
    expect((await store.labVersions.get(lab.labId, lab.v2))?.state).toBe('published');
    expect((await store.labDeployments.get(lab.dev))?.teardown?.verified).toBe(true);
    const checks = (await store.labDeployments.listByLab(lab.labId)).filter((d) => d.kind === 'check');
    expect(checks.map((d) => d.state)).toEqual(['destroyed', 'destroyed', 'destroyed']);
    // Nothing is left for a third tick to do.
    expect(await second.reconciler.tick()).toEqual({
      checks: 0,
      applies: 0,
      resets: 0,
      enrolled: 0,
      removed: 0,
      idleStopped: 0,
      teardowns: 0,
      lost: 0,
    });
  });
});

describe('lab recovery of one copy', () => {
  it('a reset interrupted by a crash is done by the next process', async () => {
    const first = aperture();
    const lab = await publishedLab(first);
    const { deployment } = await first.labs.deploy(instructor, lab.labId, lab.v1);
    await first.settle();
    first.backend.hold();
    const [sam] = students as [Actor];
    await first.labs.reset(instructor, deployment.id, sam.userId);
    await new Promise((done) => setTimeout(done, 20));
    expect((await store.labEnvironments.get(deployment.id, sam.userId))?.state).toBe('resetting');

    const second = aperture();
    expect((await second.reconciler.tick()).resets).toBe(1);
    await second.settle();
    expect((await store.labEnvironments.get(deployment.id, sam.userId))?.state).toBe('ready');
    expect(second.backend.calls).toContain(`reset ${deployment.id} sam`);
  });

  it('a check copy that cannot be deployed fails the version with the reason, and is torn down', async () => {
    const p = aperture();
    const lab = await publishedLab(p);
    p.backend.failing.add('ada');
    await p.labs.publish(instructor, lab.labId, lab.v2);
    await p.settle();
    const version = await store.labVersions.get(lab.labId, lab.v2);
    expect(version?.state).toBe('check_failed');
    expect(version?.checkResults?.map((r) => r.message)).toEqual([
      'not run: the check copy did not become ready: refused by the fake',
      'not run: the check copy did not become ready: refused by the fake',
    ]);
    const checks = (await store.labDeployments.listByLab(lab.labId)).filter((d) => d.kind === 'check');
    expect(checks.every((d) => d.state === 'destroyed')).toBe(true);
  });
});

/** Polls until `check` is true (at most 2 s). */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400 && !(await check()); i++) await new Promise((done) => setTimeout(done, 5));
  expect(await check()).toBe(true);
}

/** Stops wait until released, so a start can arrive while one is in flight. */
class SlowStopBackend extends FakeLabBackend {
  stopping: string[] = [];
  private stopGate: Promise<void> | undefined;
  private releaseStops = () => {};
  holdStops(): () => void {
    this.stopGate = new Promise((done) => {
      this.releaseStops = () => {
        this.stopGate = undefined;
        done();
      };
    });
    return () => this.releaseStops();
  }
  override async stop(request: Parameters<FakeLabBackend['stop']>[0]): Promise<void> {
    this.stopping.push(request.student.username);
    await this.stopGate;
    return super.stop(request);
  }
}

describe('copy states are compare-and-set', () => {
  it('a reset accepted while the copy is deploying wins: the late ready does not overwrite it, and the reset runs', async () => {
    const p = aperture();
    const lab = await publishedLab(p);
    const release = p.backend.hold();
    const { deployment } = await p.labs.deploy(instructor, lab.labId, lab.v1);
    const [sam] = students as [Actor];
    const state = async () => (await store.labEnvironments.get(deployment.id, sam.userId))?.state;
    await until(async () => (await state()) === 'deploying');
    expect((await p.labs.reset(instructor, deployment.id, sam.userId)).state).toBe('resetting');
    release();
    await p.settle();
    expect(p.backend.calls).toContain(`reset ${deployment.id} sam`);
    expect(await state()).toBe('ready');
    expect((await store.labDeployments.get(deployment.id))?.state).toBe('active');
  });

  it('a start during an idle stop ends running, not stopped', async () => {
    const p = aperture(new SlowStopBackend());
    const backend = p.backend as SlowStopBackend;
    const { deployment } = await deployedLab(p);
    const [sam, robin] = students as [Actor, Actor];
    clock.at += 3 * 3_600_000;
    const release = backend.holdStops();
    expect((await p.reconciler.tick()).idleStopped).toBeGreaterThanOrEqual(2);
    // Robin's stop is first in the deployment's queue; it is in flight when robin starts the copy.
    await until(async () => backend.stopping.includes('robin'));
    await p.labs.start(robin, deployment.id, robin.userId);
    release();
    await p.settle();
    expect((await store.labEnvironments.get(deployment.id, robin.userId))?.state).toBe('ready');
    expect(backend.copiesOf(deployment.id).get(robin.userId)?.state).toBe('ready');
    // The copy nobody started stays stopped.
    expect((await store.labEnvironments.get(deployment.id, sam.userId))?.state).toBe('stopped');
  });
});

/** The first `unverified` teardowns leave a pod behind (still terminating), like a slow engine. */
class UnverifiedTeardownBackend extends FakeLabBackend {
  constructor(public unverified: number) {
    super();
  }
  override async teardown(deploymentId: string) {
    const receipt = await super.teardown(deploymentId);
    if (this.unverified <= 0) return receipt;
    this.unverified--;
    const remaining = [{ kind: 'Pod', name: `fake-${deploymentId}-left` }];
    return { ...receipt, verified: false, remaining, errors: ['pod still terminating'] };
  }
}

describe('a teardown that is not verified', () => {
  const teardowns = (p: ReturnType<typeof aperture>, id: string) =>
    p.backend.calls.filter((call) => call === `teardown ${id}`).length;

  it('keeps the deployment destroying with the receipt, and the reconciler retries it with a backoff', async () => {
    const p = aperture(new UnverifiedTeardownBackend(0));
    const { deployment } = await deployedLab(p);
    (p.backend as UnverifiedTeardownBackend).unverified = 2;
    await p.labs.destroy(instructor, deployment.id);
    await p.settle();
    expect(await store.labDeployments.get(deployment.id)).toMatchObject({
      state: 'destroying',
      teardown: {
        verified: false,
        attempts: 1,
        deleted: 2,
        remaining: [`Pod fake-${deployment.id}-left`],
        errors: ['pod still terminating'],
      },
    });
    expect((await store.labEnvironments.get(deployment.id, students[0]?.userId ?? ''))?.state).toBe('ready');
    // Not again before the backoff (30 s, then 60 s).
    expect((await p.reconciler.tick()).teardowns).toBe(0);
    clock.at += 31_000;
    expect((await p.reconciler.tick()).teardowns).toBe(1);
    await p.settle();
    expect((await store.labDeployments.get(deployment.id))?.teardown).toMatchObject({
      attempts: 2,
      verified: false,
    });
    clock.at += 31_000;
    expect((await p.reconciler.tick()).teardowns).toBe(0);
    clock.at += 30_000;
    expect((await p.reconciler.tick()).teardowns).toBe(1);
    await p.settle();
    expect(await store.labDeployments.get(deployment.id)).toMatchObject({
      state: 'destroyed',
      teardown: { verified: true, attempts: 3, remaining: [], errors: [] },
    });
    expect(teardowns(p, deployment.id)).toBe(3);
    const copies = await store.labEnvironments.listByDeployment(deployment.id);
    expect(copies.map((c) => c.state)).toEqual(['removed', 'removed']);
  });

  it('gives up after teardownMaxAttempts, still destroying with the errors; DELETE tries again', async () => {
    const p = aperture(new UnverifiedTeardownBackend(0), { teardownMaxAttempts: 2 });
    const { deployment } = await deployedLab(p);
    (p.backend as UnverifiedTeardownBackend).unverified = 99;
    await p.labs.destroy(instructor, deployment.id);
    await p.settle();
    clock.at += 31_000;
    await p.reconciler.tick();
    await p.settle();
    clock.at += 24 * 3_600_000;
    expect((await p.reconciler.tick()).teardowns).toBe(0);
    await p.settle();
    expect(teardowns(p, deployment.id)).toBe(2);
    expect(await store.labDeployments.get(deployment.id)).toMatchObject({
      state: 'destroying',
      teardown: { verified: false, attempts: 2, errors: ['pod still terminating'] },
    });
    expect((await p.labs.destroy(instructor, deployment.id)).state).toBe('destroying');
    await p.settle();
    expect(teardowns(p, deployment.id)).toBe(3);
  });
});

/** Reports one student's copy failed (a crash loop) whatever was deployed. */
class CrashingBackend extends FakeLabBackend {
  crashing = new Set<string>();
  override async status(deploymentId: string, students: Parameters<FakeLabBackend['status']>[1] = []) {
    const report = await super.status(deploymentId, students);
    return {
      ...report,
      students: report.students.map((s) =>
        this.crashing.has(s.student.id)
          ? { ...s, state: 'failed' as const, message: 'CrashLoopBackOff: "shell"' }
          : s,
      ),
    };
  }
}

describe('opening a stopped copy is bounded by startWaitMs', () => {
  it('the engine does not answer: unavailable after startWaitMs, and the start goes on', async () => {
    const p = aperture(new FakeLabBackend(), { startWaitMs: 150 });
    const { deployment } = await deployedLab(p);
    const [sam] = students as [Actor];
    await p.labs.worker.stop(deployment.id, sam.userId, 'stopped');
    const release = p.backend.hold();
    const started = Date.now();
    await expect(p.labs.authorizeAccess(sam, shell(deployment.id, sam.userId))).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('not deployed within'),
    });
    // Bounded by the 150 ms wait, not by the held deploy (which never ends until released).
    expect(Date.now() - started).toBeLessThan(10_000);
    release();
    await p.settle();
    expect((await store.labEnvironments.get(deployment.id, sam.userId))?.state).toBe('ready');
  });

  it('a copy that fails to start: unavailable with the reason, not a target', async () => {
    const p = aperture(new CrashingBackend(), { startWaitMs: 2000, failedGraceMs: 0 });
    const backend = p.backend as CrashingBackend;
    const { deployment } = await deployedLab(p);
    const [sam, robin] = students as [Actor, Actor];
    await p.labs.worker.stop(deployment.id, sam.userId, 'stopped');
    backend.failing.add('sam');
    await expect(p.labs.authorizeAccess(sam, shell(deployment.id, sam.userId))).rejects.toMatchObject({
      code: 'unavailable',
      message: 'The lab copy did not start: refused by the fake.',
    });
    // Deployed, but the engine says it crashes.
    await p.labs.worker.stop(deployment.id, robin.userId, 'stopped');
    backend.crashing.add(robin.userId);
    await expect(p.labs.authorizeAccess(robin, shell(deployment.id, robin.userId))).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('CrashLoopBackOff'),
    });
  });

  it('a checkpoint whose stopped dev copy does not start in time: unavailable', async () => {
    const p = aperture(new FakeLabBackend(), { startWaitMs: 150 });
    const lab = await publishedLab(p);
    await p.labs.worker.stop(lab.dev, instructor.userId, 'stopped');
    const release = p.backend.hold();
    await expect(p.labs.checkpoint(instructor, lab.labId)).rejects.toMatchObject({ code: 'unavailable' });
    release();
    await p.settle();
  });
});

describe('deploying a version', () => {
  it('two racing deploys of one version: one deployment, the other a conflict naming it', async () => {
    const p = aperture();
    const lab = await publishedLab(p);
    const results = await Promise.allSettled([
      p.labs.deploy(instructor, lab.labId, lab.v1),
      p.labs.deploy(instructor, lab.labId, lab.v1),
    ]);
    const done = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(done).toHaveLength(1);
    expect(refused).toEqual([
      expect.objectContaining({
        code: 'conflict',
        details: expect.objectContaining({ deployment: done[0]?.deployment.id }),
      }),
    ]);
    await p.settle();
    const course = (await store.labDeployments.listByLab(lab.labId)).filter((d) => d.kind === 'course');
    expect(course).toHaveLength(1);
  });
});

describe('my labs', () => {
  it('skips a deployment whose version is missing instead of failing the whole list', async () => {
    const p = aperture();
    const lab = await publishedLab(p);
    await p.labs.publish(instructor, lab.labId, lab.v2);
    await p.settle();
    const one = await p.labs.deploy(instructor, lab.labId, lab.v1);
    const two = await p.labs.deploy(instructor, lab.labId, lab.v2);
    await p.settle();
    const [sam] = students as [Actor];
    expect((await p.labs.listMine(sam)).map((m) => m.deploymentId).sort()).toEqual(
      [one.deployment.id, two.deployment.id].sort(),
    );
    // The store loses v1 (a bad restore, a manual delete).
    const versions = store.labVersions;
    const get = versions.get.bind(versions);
    versions.get = async (labId, id) => (id === lab.v1 ? undefined : get(labId, id));
    try {
      expect((await p.labs.listMine(sam)).map((m) => m.deploymentId)).toEqual([two.deployment.id]);
    } finally {
      versions.get = get;
    }
  });
});

describe('copies the engine lost', () => {
  it('a ready copy the engine reports missing or stopped (a host reboot) is deployed again on the next tick', async () => {
    const p = aperture();
    const { deployment } = await deployedLab(p);
    const [sam, robin] = students as [Actor, Actor];
    // The host rebooted: sam's containers are gone, robin's exited.
    const copies = p.backend.copiesOf(deployment.id);
    copies.delete(sam.userId);
    const robins = copies.get(robin.userId);
    if (robins) robins.state = 'stopped';
    const summary = await p.reconciler.tick();
    expect(summary).toMatchObject({ lost: 2, applies: 1 });
    await p.settle();
    for (const student of [sam, robin]) {
      expect(await store.labEnvironments.get(deployment.id, student.userId)).toMatchObject({
        state: 'ready',
        error: null,
      });
      expect(copies.get(student.userId)?.state).toBe('ready');
    }
    expect(p.backend.calls.filter((c) => c.startsWith(`deploy ${deployment.id}`)).at(-1)).toBe(
      `deploy ${deployment.id} robin,sam`,
    );
    expect(await p.reconciler.tick()).toMatchObject({ lost: 0, applies: 0 });
  });

  it('a status the engine cannot give changes nothing', async () => {
    const p = aperture();
    const { deployment } = await deployedLab(p);
    p.backend.status = async () => {
      throw new Error('engine unreachable');
    };
    expect(await p.reconciler.tick()).toMatchObject({ lost: 0, applies: 0 });
    const states = (await store.labEnvironments.listByDeployment(deployment.id)).map((c) => c.state);
    expect(states).toEqual(['ready', 'ready']);
  });
});

describe('who may do what', () => {
  it('a TA reads the labs and deployments of the course but changes nothing; a student sees neither', async () => {
    const p = aperture();
    const lab = await publishedLab(p);
    const auth = new AuthService(deps);
    const courses = new CourseService(deps, auth);
    const { userId } = await courses.enroll(instructor, 'NET1', { username: 'tara', role: 'ta' });
    const ta: Actor = { userId, role: 'user' };
    expect((await p.labs.list(ta, 'NET1')).map((l) => l.id)).toEqual([lab.labId]);
    expect((await p.labs.get(ta, lab.labId)).versions).toHaveLength(2);
    await expect(p.labs.checkpoint(ta, lab.labId)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(p.labs.deploy(ta, lab.labId, lab.v1)).rejects.toMatchObject({ code: 'forbidden' });
    const [sam] = students as [Actor];
    await expect(p.labs.list(sam, 'NET1')).rejects.toMatchObject({ code: 'forbidden' });
    const outsider = await auth.createUser('system', { username: 'eve' });
    await expect(p.labs.get({ userId: outsider.id, role: 'user' }, lab.labId)).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});

describe('who may open which copy', () => {
  it('a TA opens a student’s course copy (watch and help), but not the instructors’ dev copy', async () => {
    const p = aperture();
    const { deployment, lab } = await deployedLab(p);
    const auth = new AuthService(deps);
    const courses = new CourseService(deps, auth);
    const { userId } = await courses.enroll(instructor, 'NET1', { username: 'tess', role: 'ta' });
    const ta: Actor = { userId, role: 'user' };
    const [sam] = students as [Actor];
    const open = (deploymentId: string, owner: string) =>
      p.labs.authorizeAccess(ta, shell(deploymentId, owner));
    await expect(open(deployment.id, sam.userId)).resolves.toMatchObject({ studentId: sam.userId });
    // Sam sees who looked in; a second open soon after (a page's assets, a reconnect) is the same entry.
    await open(deployment.id, sam.userId);
    const mine = (await p.labs.listMine(sam)).find((l) => l.deploymentId === deployment.id)!;
    expect(mine.openedBy).toEqual([
      {
        username: 'tess',
        name: expect.any(String),
        component: 'shell',
        kind: 'terminal',
        at: expect.any(String),
      },
    ]);
    // Sam's own opens are not listed.
    await p.labs.authorizeAccess(sam, shell(deployment.id, sam.userId));
    expect(
      (await store.labAccessLog.listByCopy(deployment.id, sam.userId, 10)).map((r) => r.viewerId),
    ).toEqual([userId]);
    const dev = (await store.labDeployments.listByLab(lab.labId)).find((d) => d.kind === 'dev')!;
    await expect(open(dev.id, dev.createdBy)).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('dev copy'),
    });
    // The instructor still opens it.
    await expect(p.labs.authorizeAccess(instructor, shell(dev.id, dev.createdBy))).resolves.toMatchObject({
      studentId: dev.createdBy,
    });
  });
});

describe('lab lifetime', () => {
  it('drops an idle stop when the copy is opened between the decision and the stop', async () => {
    const p = aperture();
    const { deployment } = await deployedLab(p);
    const [sam, robin] = students as [Actor, Actor];
    clock.at += 3 * HOUR;
    const release = p.backend.hold();
    await p.labs.reset(instructor, deployment.id, sam.userId); // holds the deployment's queue
    expect((await p.reconciler.tick()).idleStopped).toBeGreaterThanOrEqual(1); // robin's stop waits behind it
    await p.labs.authorizeAccess(robin, shell(deployment.id, robin.userId));
    release();
    await p.settle();
    expect((await store.labEnvironments.get(deployment.id, robin.userId))?.state).toBe('ready');
    expect(p.backend.calls).not.toContain(`stop ${deployment.id} robin`);
  });

  it('activity in an open session keeps the copy running; its use is written at most every 30 s', async () => {
    const p = aperture();
    const { deployment } = await deployedLab(p);
    const [sam, robin] = students as [Actor, Actor];
    const start = clock.at;
    const lastUse = async () => (await store.labEnvironments.get(deployment.id, sam.userId))?.lastAccessAt;
    const iso = (ms: number) => new Date(ms).toISOString();
    clock.at = start + 110 * 60_000;
    const target = await p.labs.authorizeAccess(sam, web(deployment.id, sam.userId));
    expect(await lastUse()).toBe(iso(start + 110 * 60_000));
    // 10 s later: bytes in the session, and another proxied asset: neither writes.
    clock.at += 10_000;
    p.labs.noteActivity(target);
    await p.labs.authorizeAccess(sam, web(deployment.id, sam.userId));
    await new Promise((done) => setTimeout(done, 30));
    expect(await lastUse()).toBe(iso(start + 110 * 60_000));
    // 40 s after the open: written.
    clock.at += 30_000;
    p.labs.noteActivity(target);
    await until(async () => (await lastUse()) === iso(start + 110 * 60_000 + 40_000));
    // 3 h 50 min after the deploy (idleStopAfter is 2 h): robin's idle copy stops, sam's in use stays.
    clock.at = start + 230 * 60_000;
    await p.reconciler.tick();
    await p.settle();
    expect((await store.labEnvironments.get(deployment.id, robin.userId))?.state).toBe('stopped');
    expect((await store.labEnvironments.get(deployment.id, sam.userId))?.state).toBe('ready');
    expect(p.backend.calls).not.toContain(`stop ${deployment.id} sam`);
    // A session left open with nothing flowing does not keep it: 2 h after the last bytes it stops.
    clock.at = start + 110 * 60_000 + 40_000 + 120 * 60_000;
    await p.reconciler.tick();
    await p.settle();
    expect((await store.labEnvironments.get(deployment.id, sam.userId))?.state).toBe('stopped');
  });

  it("an open session's periodic re-check records no use and starts nothing", async () => {
    const p = aperture();
    const { deployment } = await deployedLab(p);
    const [sam] = students as [Actor];
    const open = shell(deployment.id, sam.userId);
    await p.labs.authorizeAccess(sam, open);
    const opened = (await store.labEnvironments.get(deployment.id, sam.userId))?.lastAccessAt;
    clock.at += HOUR;
    await p.labs.authorizeAccess(sam, { ...open, recheck: true });
    expect((await store.labEnvironments.get(deployment.id, sam.userId))?.lastAccessAt).toBe(opened);
    clock.at += HOUR + 60_000;
    await p.reconciler.tick();
    await p.settle();
    expect((await store.labEnvironments.get(deployment.id, sam.userId))?.state).toBe('stopped');
    await expect(p.labs.authorizeAccess(sam, { ...open, recheck: true })).rejects.toMatchObject({
      code: 'unavailable',
    });
    expect((await store.labEnvironments.get(deployment.id, sam.userId))?.state).toBe('stopped');
  });

  it('noteActivity never throws, even for a copy that does not exist', async () => {
    const p = aperture();
    expect(() =>
      p.labs.noteActivity({ deploymentId: 'ldp_none', studentId: 'nobody', component: 'x' }),
    ).not.toThrow();
    await new Promise((done) => setTimeout(done, 20));
  });

  it('stops idle copies, starts one again when opened, and destroys the deployment when it expires', async () => {
    const p = aperture();
    const { lab, deployment } = await deployedLab(p);
    const [sam] = students as [Actor];
    clock.at += HOUR;
    await p.labs.authorizeAccess(sam, shell(deployment.id, sam.userId));
    clock.at += HOUR + 60_000; // robin's copy: 2h1m unused; sam's: opened 1h1m ago
    // Robin's, and the instructor's dev copy (never opened either).
    expect((await p.reconciler.tick()).idleStopped).toBe(2);
    await p.settle();
    const states = async () =>
      Object.fromEntries(
        (await store.labEnvironments.listByDeployment(deployment.id)).map((c) => [c.username, c.state]),
      );
    expect(await states()).toMatchObject({ sam: 'ready', robin: 'stopped' });
    // The instructor's idle dev copy is started again for a checkpoint (Kubernetes reads digests from its pods).
    expect((await store.labEnvironments.get(lab.dev, instructor.userId))?.state).toBe('stopped');
    await p.labs.checkpoint(instructor, lab.labId);
    expect((await store.labEnvironments.get(lab.dev, instructor.userId))?.state).toBe('ready');
    clock.at += HOUR;
    await p.reconciler.tick();
    await p.settle();
    expect(await states()).toMatchObject({ sam: 'stopped', robin: 'stopped' });

    const target = await p.labs.authorizeAccess(sam, web(deployment.id, sam.userId));
    expect(target).toEqual({ deploymentId: deployment.id, studentId: sam.userId, component: 'web' });
    expect(await states()).toMatchObject({ sam: 'ready', robin: 'stopped' });

    clock.at += 30 * 24 * HOUR;
    expect((await p.reconciler.tick()).teardowns).toBeGreaterThanOrEqual(1);
    await p.settle();
    const done = await store.labDeployments.get(deployment.id);
    expect(done).toMatchObject({ state: 'destroyed', teardown: { verified: true } });
  });
});
