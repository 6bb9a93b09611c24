import { ConflictError, canonicalJson, type LabTemplate, type Store } from '@aperture/core';
import { expect, it } from 'vitest';
import type { TestDatabases } from '../test-support/databases.ts';
import { aCourse, at, aUser } from '../test-support/fixtures.ts';
import {
  aLab,
  aLabDeployment,
  aLabEnvironment,
  aLabTemplate,
  aLabVersion,
  seedLab,
} from '../test-support/lab-fixtures.ts';

export function labContract(dbs: TestDatabases): void {
  it('round-trips a lab, its template byte-equal as canonical JSON, by id and by name', async () => {
    const store = await dbs.openFresh();
    const { course, lab } = await seedLab(store);
    const read = await store.labs.get(lab.id);
    expect(read).toEqual(lab);
    expect(canonicalJson(read?.devTemplate)).toBe(canonicalJson(aLabTemplate(lab.name)));
    expect(await store.labs.getByName(course.id, lab.name)).toEqual(lab);
    expect(await store.labs.getByName(course.id, 'missing')).toBeUndefined();
    expect(await store.labs.getByName('other', lab.name)).toBeUndefined();
    expect(await store.labs.get('missing')).toBeUndefined();
  });

  it('lists the labs of one course by name', async () => {
    const store = await dbs.openFresh();
    const { user, course, lab } = await seedLab(store);
    const other = aCourse();
    await store.courses.insert(other);
    const zed = aLab(course.id, user.id, { name: 'zed' });
    const amy = aLab(course.id, user.id, { name: 'amy' });
    for (const l of [zed, amy, aLab(other.id, user.id)]) await store.labs.insert(l);
    expect((await store.labs.listByCourse(course.id)).map((l) => l.name)).toEqual(['amy', lab.name, 'zed']);
    expect(await store.labs.listByCourse('missing')).toEqual([]);
  });

  it('rejects a second lab of the same name in a course with a ConflictError naming it', async () => {
    const store = await dbs.openFresh();
    const { user, course } = await seedLab(store);
    await store.labs.insert(aLab(course.id, user.id, { name: 'web' }));
    const clash = store.labs.insert(aLab(course.id, user.id, { name: 'web' }));
    await expect(clash).rejects.toBeInstanceOf(ConflictError);
    await expect(clash).rejects.toThrow(/lab named "web"/);
    const other = aCourse();
    await store.courses.insert(other);
    await expect(store.labs.insert(aLab(other.id, user.id, { name: 'web' }))).resolves.toBeUndefined();
    const lab = aLab(course.id, user.id);
    await store.labs.insert(lab);
    await expect(store.labs.insert({ ...lab, name: 'fresh' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('replaces only the dev template and updatedAt', async () => {
    const store = await dbs.openFresh();
    const { lab } = await seedLab(store);
    const changed: LabTemplate = { ...lab.devTemplate, spec: { ...lab.devTemplate.spec, checks: [] } };
    await store.labs.updateDevTemplate(lab.id, changed, at(30));
    expect(await store.labs.get(lab.id)).toEqual({ ...lab, devTemplate: changed, updatedAt: at(30) });
  });

  it('deletes a lab only when every deployment is destroyed, taking everything of it along', async () => {
    const store = await dbs.openFresh();
    const { user, lab } = await seedLab(store);
    const version = aLabVersion(lab);
    await store.labVersions.insert(version);
    const live = aLabDeployment(lab, { kind: 'course', versionId: version.id, state: 'active' });
    await store.labDeployments.insert(live);
    await store.labEnvironments.insertIfMissing(aLabEnvironment(live.id, user.id));
    expect(await store.labs.delete(lab.id)).toBe(false);
    expect(await store.labs.get(lab.id)).toEqual(lab);
    await store.labDeployments.setState(live.id, ['active'], { state: 'destroyed', updatedAt: at(9) });
    expect(await store.labs.delete(lab.id)).toBe(true);
    expect(await store.labs.get(lab.id)).toBeUndefined();
    expect(await store.labVersions.listByLab(lab.id)).toEqual([]);
    expect(await store.labDeployments.get(live.id)).toBeUndefined();
    expect(await store.labEnvironments.get(live.id, user.id)).toBeUndefined();
    expect(await store.labs.delete(lab.id)).toBe(false);
  });

  it('rolls lab writes back with the transaction', async () => {
    const store = await dbs.openFresh();
    const { user, course, lab } = await seedLab(store);
    const failing = store.transaction(async (tx) => {
      await tx.labs.insert(aLab(course.id, user.id, { name: 'rolled-back' }));
      await tx.labDeployments.insert(aLabDeployment(lab));
      throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    expect(await store.labs.listByCourse(course.id)).toEqual([lab]);
    expect(await store.labDeployments.listByLab(lab.id)).toEqual([]);
  });
}

export function labVersionContract(dbs: TestDatabases): void {
  it('inserts a version once: the same id again leaves the first as it is', async () => {
    const store = await dbs.openFresh();
    const { user, course, lab } = await seedLab(store);
    const version = aLabVersion(lab);
    expect(await store.labVersions.insert(version)).toBe(true);
    expect(await store.labVersions.insert({ ...version, state: 'published', createdAt: at(50) })).toBe(false);
    expect(await store.labVersions.get(lab.id, version.id)).toEqual(version);
    // The same content in another lab is that lab's own version.
    const other = aLab(course.id, user.id);
    await store.labs.insert(other);
    expect(await store.labVersions.insert({ ...version, labId: other.id })).toBe(true);
    expect(await store.labVersions.get(other.id, version.id)).toEqual({ ...version, labId: other.id });
    expect(await store.labVersions.get(lab.id, 'sha256:missing')).toBeUndefined();
  });

  it('round-trips every field and lists a lab’s versions newest first', async () => {
    const store = await dbs.openFresh();
    const { lab } = await seedLab(store);
    const old = aLabVersion(lab, { createdAt: at(1) });
    const checked = aLabVersion(lab, {
      createdAt: at(2),
      state: 'check_failed',
      checkResults: [
        {
          index: 0,
          component: 'web',
          kind: 'http',
          ok: false,
          message: 'GET web:8080/ → 404, expected 200',
          durationMs: 12,
        },
        { index: 1, component: 'web', kind: 'tcp', ok: true, message: 'web:8080 open', durationMs: 0 },
      ],
      snapshots: { html: 'snap-html-1' },
      checkedAt: at(3),
    });
    for (const v of [old, checked]) await store.labVersions.insert(v);
    const listed = await store.labVersions.listByLab(lab.id);
    expect(listed).toEqual([checked, old]);
    expect(canonicalJson(listed[0]?.template)).toBe(canonicalJson(lab.devTemplate));
    expect(await store.labVersions.listByLab('missing')).toEqual([]);
  });

  it('changes state only from one of the given states, with the patched fields', async () => {
    const store = await dbs.openFresh();
    const { lab } = await seedLab(store);
    const version = aLabVersion(lab);
    await store.labVersions.insert(version);
    const results = [
      { index: 0, component: 'web', kind: 'exec' as const, ok: true, message: 'exit 0', durationMs: 5 },
    ];
    expect(
      await store.labVersions.setState(lab.id, version.id, ['draft', 'check_failed'], { state: 'checking' }),
    ).toBe(true);
    // Stale: it is not draft any more.
    expect(await store.labVersions.setState(lab.id, version.id, ['draft'], { state: 'published' })).toBe(
      false,
    );
    expect(await store.labVersions.setState(lab.id, version.id, [], { state: 'published' })).toBe(false);
    expect(
      await store.labVersions.setState(lab.id, 'sha256:missing', ['checking'], { state: 'published' }),
    ).toBe(false);
    const patch = {
      state: 'published' as const,
      checkResults: results,
      checkedAt: at(4),
      publishedAt: at(5),
      snapshots: { html: 's1' },
    };
    expect(await store.labVersions.setState(lab.id, version.id, ['checking'], patch)).toBe(true);
    expect(await store.labVersions.get(lab.id, version.id)).toEqual({ ...version, ...patch });
    // An explicit null clears; a field left out stays.
    expect(
      await store.labVersions.setState(lab.id, version.id, ['published'], {
        state: 'draft',
        snapshots: null,
      }),
    ).toBe(true);
    expect(await store.labVersions.get(lab.id, version.id)).toEqual({
      ...version,
      ...patch,
      state: 'draft',
      snapshots: null,
    });
  });

  it('lets exactly one of two racing transitions apply', async () => {
    const store = await dbs.openFresh();
    const { lab } = await seedLab(store);
    const version = aLabVersion(lab);
    await store.labVersions.insert(version);
    const race = () => store.labVersions.setState(lab.id, version.id, ['draft'], { state: 'checking' });
    expect((await Promise.all([race(), race(), race()])).filter(Boolean)).toHaveLength(1);
  });

  it('lists the versions left checking in every lab', async () => {
    const store = await dbs.openFresh();
    const { user, course, lab } = await seedLab(store);
    const other = aLab(course.id, user.id);
    await store.labs.insert(other);
    const a = aLabVersion(lab, { state: 'checking', createdAt: at(2) });
    const b = aLabVersion(other, { state: 'checking', createdAt: at(1) });
    for (const v of [a, b, aLabVersion(lab, { state: 'published' }), aLabVersion(other)]) {
      await store.labVersions.insert(v);
    }
    expect(await store.labVersions.listChecking()).toEqual([b, a]);
  });
}

async function seedDeployments(store: Store) {
  const seeded = await seedLab(store);
  const other = aCourse();
  await store.courses.insert(other);
  const otherLab = aLab(other.id, seeded.user.id);
  await store.labs.insert(otherLab);
  return { ...seeded, otherLab };
}

export function labDeploymentContract(dbs: TestDatabases): void {
  it('round-trips a deployment with its teardown and lists by lab newest first', async () => {
    const store = await dbs.openFresh();
    const { lab } = await seedLab(store);
    const version = aLabVersion(lab);
    await store.labVersions.insert(version);
    const dev = aLabDeployment(lab, { createdAt: at(1) });
    const gone = aLabDeployment(lab, {
      kind: 'course',
      versionId: version.id,
      state: 'destroyed',
      createdAt: at(2),
      expiresAt: at(600),
      teardown: {
        deleted: 7,
        verified: true,
        remaining: ['ns/a'],
        errors: ['timeout "x"'],
        durationMs: 1500,
      },
    });
    for (const d of [dev, gone]) await store.labDeployments.insert(d);
    expect(await store.labDeployments.get(gone.id)).toEqual(gone);
    expect(await store.labDeployments.get('missing')).toBeUndefined();
    expect(await store.labDeployments.listByLab(lab.id)).toEqual([gone, dev]);
    await expect(store.labDeployments.insert(dev)).rejects.toBeInstanceOf(ConflictError);
  });

  it('rejects a deployment of a version its lab does not have', async () => {
    const store = await dbs.openFresh();
    const { lab } = await seedLab(store);
    const deployment = aLabDeployment(lab, { kind: 'course', versionId: 'sha256:none' });
    await expect(store.labDeployments.insert(deployment)).rejects.toThrow();
    expect(await store.labDeployments.listByLab(lab.id)).toEqual([]);
  });

  it('lists live deployments of a course, and of all courses, oldest first', async () => {
    const store = await dbs.openFresh();
    const { course, lab, otherLab } = await seedDeployments(store);
    const first = aLabDeployment(lab, { createdAt: at(1), state: 'active' });
    const second = aLabDeployment(lab, { createdAt: at(3), state: 'destroying' });
    const destroyed = aLabDeployment(lab, { createdAt: at(2), state: 'destroyed' });
    const elsewhere = aLabDeployment(otherLab, { createdAt: at(2) });
    for (const d of [second, destroyed, first, elsewhere]) await store.labDeployments.insert(d);
    expect(await store.labDeployments.listActiveByCourse(course.id)).toEqual([first, second]);
    expect(await store.labDeployments.listLive()).toEqual([first, elsewhere, second]);
  });

  it('changes state only from one of the given states, with the patched fields', async () => {
    const store = await dbs.openFresh();
    const { lab } = await seedLab(store);
    const version = aLabVersion(lab);
    await store.labVersions.insert(version);
    const deployment = aLabDeployment(lab, { kind: 'course', versionId: null });
    await store.labDeployments.insert(deployment);
    const active = { state: 'active' as const, updatedAt: at(5), versionId: version.id, expiresAt: at(900) };
    expect(await store.labDeployments.setState(deployment.id, ['deploying'], active)).toBe(true);
    expect(
      await store.labDeployments.setState(deployment.id, ['deploying'], {
        state: 'destroying',
        updatedAt: at(6),
      }),
    ).toBe(false);
    expect(
      await store.labDeployments.setState(deployment.id, [], { state: 'destroying', updatedAt: at(6) }),
    ).toBe(false);
    expect(await store.labDeployments.get(deployment.id)).toEqual({ ...deployment, ...active });
    const teardown = { deleted: 3, verified: true, remaining: [], errors: [], durationMs: 40 };
    const destroyed = { state: 'destroyed' as const, updatedAt: at(7), teardown, expiresAt: null };
    expect(await store.labDeployments.setState(deployment.id, ['active', 'destroying'], destroyed)).toBe(
      true,
    );
    expect(await store.labDeployments.get(deployment.id)).toEqual({ ...deployment, ...active, ...destroyed });
  });

  it('lets exactly one of two racing transitions apply', async () => {
    const store = await dbs.openFresh();
    const { lab } = await seedLab(store);
    const deployment = aLabDeployment(lab, { state: 'active' });
    await store.labDeployments.insert(deployment);
    const race = () =>
      store.labDeployments.setState(deployment.id, ['active'], { state: 'destroying', updatedAt: at(8) });
    expect((await Promise.all([race(), race(), race()])).filter(Boolean)).toHaveLength(1);
  });
}

export function labEnvironmentContract(dbs: TestDatabases): void {
  it('inserts a copy once: an existing one stays as it is', async () => {
    const store = await dbs.openFresh();
    const { user, lab } = await seedLab(store);
    const deployment = aLabDeployment(lab);
    await store.labDeployments.insert(deployment);
    const copy = aLabEnvironment(deployment.id, user.id);
    expect(await store.labEnvironments.insertIfMissing(copy)).toBe(true);
    expect(await store.labEnvironments.insertIfMissing({ ...copy, state: 'ready', attempts: 4 })).toBe(false);
    expect(await store.labEnvironments.get(deployment.id, user.id)).toEqual(copy);
    expect(await store.labEnvironments.get(deployment.id, 'nobody')).toBeUndefined();
  });

  it('lists a deployment’s copies with usernames, removed ones included', async () => {
    const store = await dbs.openFresh();
    const { lab } = await seedLab(store);
    const [zed, amy] = [aUser({ username: 'zed' }), aUser({ username: 'amy' })];
    for (const u of [zed, amy]) await store.users.insert(u);
    const deployment = aLabDeployment(lab);
    await store.labDeployments.insert(deployment);
    const zedCopy = aLabEnvironment(deployment.id, zed.id, { state: 'removed' });
    const amyCopy = aLabEnvironment(deployment.id, amy.id, {
      state: 'failed',
      environment: 'aperture-lab-ldp-1-amy',
      attempts: 2,
      error: 'ImagePullBackOff: "web"',
      lastAccessAt: at(9),
    });
    for (const e of [zedCopy, amyCopy]) await store.labEnvironments.insertIfMissing(e);
    expect(await store.labEnvironments.listByDeployment(deployment.id)).toEqual([
      { ...amyCopy, username: 'amy' },
      { ...zedCopy, username: 'zed' },
    ]);
    expect(await store.labEnvironments.listByDeployment('missing')).toEqual([]);
  });

  it('lists a user’s copies that are not removed, newest deployment first', async () => {
    const store = await dbs.openFresh();
    const { user, lab, otherLab } = await seedDeployments(store);
    const student = aUser();
    await store.users.insert(student);
    const older = aLabDeployment(lab, { createdAt: at(1) });
    const newer = aLabDeployment(otherLab, { createdAt: at(5) });
    const removed = aLabDeployment(lab, { createdAt: at(9) });
    for (const d of [older, newer, removed]) await store.labDeployments.insert(d);
    const mine = [older, newer].map((d) => aLabEnvironment(d.id, student.id, { state: 'ready' }));
    for (const e of mine) await store.labEnvironments.insertIfMissing(e);
    await store.labEnvironments.insertIfMissing(
      aLabEnvironment(removed.id, student.id, { state: 'removed' }),
    );
    await store.labEnvironments.insertIfMissing(aLabEnvironment(older.id, user.id));
    expect(await store.labEnvironments.listByUser(student.id)).toEqual([mine[1], mine[0]]);
  });

  it('updates only the patched fields, and an explicit null clears one', async () => {
    const store = await dbs.openFresh();
    const { user, lab } = await seedLab(store);
    const deployment = aLabDeployment(lab);
    await store.labDeployments.insert(deployment);
    const copy = aLabEnvironment(deployment.id, user.id, { error: 'first try failed' });
    await store.labEnvironments.insertIfMissing(copy);
    const patch = {
      state: 'ready' as const,
      environment: 'ns-1',
      attempts: 1,
      error: null,
      updatedAt: at(7),
    };
    await store.labEnvironments.update(deployment.id, user.id, patch);
    expect(await store.labEnvironments.get(deployment.id, user.id)).toEqual({ ...copy, ...patch });
    await store.labEnvironments.update(deployment.id, user.id, { lastAccessAt: at(8), updatedAt: at(8) });
    expect(await store.labEnvironments.get(deployment.id, user.id)).toEqual({
      ...copy,
      ...patch,
      lastAccessAt: at(8),
      updatedAt: at(8),
    });
  });

  it('updates a copy only from one of the given states and while its last use is as expected', async () => {
    const store = await dbs.openFresh();
    const { user, lab } = await seedLab(store);
    const deployment = aLabDeployment(lab);
    await store.labDeployments.insert(deployment);
    const copy = aLabEnvironment(deployment.id, user.id, { state: 'deploying' });
    await store.labEnvironments.insertIfMissing(copy);
    const get = () => store.labEnvironments.get(deployment.id, user.id);
    const resetting = { state: 'resetting' as const, updatedAt: at(3) };
    expect(
      await store.labEnvironments.update(deployment.id, user.id, resetting, { from: ['ready', 'stopped'] }),
    ).toBe(false);
    expect(await get()).toEqual(copy);
    expect(
      await store.labEnvironments.update(deployment.id, user.id, resetting, { from: ['deploying'] }),
    ).toBe(true);
    // The late result of the deploy is written only over the state the deploy set: the reset stays.
    const ready = { state: 'ready' as const, attempts: 1, updatedAt: at(4) };
    expect(await store.labEnvironments.update(deployment.id, user.id, ready, { from: ['deploying'] })).toBe(
      false,
    );
    expect(await get()).toEqual({ ...copy, ...resetting });
    expect(await store.labEnvironments.update(deployment.id, user.id, ready, { from: [] })).toBe(false);
    expect(await store.labEnvironments.update(deployment.id, 'nobody', ready)).toBe(false);
    expect(await store.labEnvironments.update(deployment.id, user.id, ready)).toBe(true);
    // lastAccessAt: null matches a copy never used; a use since makes the expectation fail.
    const stopped = { state: 'stopped' as const, updatedAt: at(5) };
    expect(
      await store.labEnvironments.update(deployment.id, user.id, stopped, {
        from: ['ready'],
        lastAccessAt: at(1),
      }),
    ).toBe(false);
    expect(
      await store.labEnvironments.update(deployment.id, user.id, stopped, {
        from: ['ready'],
        lastAccessAt: null,
      }),
    ).toBe(true);
    await store.labEnvironments.update(deployment.id, user.id, {
      state: 'ready',
      lastAccessAt: at(6),
      updatedAt: at(6),
    });
    expect(
      await store.labEnvironments.update(deployment.id, user.id, stopped, {
        from: ['ready'],
        lastAccessAt: null,
      }),
    ).toBe(false);
    expect(
      await store.labEnvironments.update(deployment.id, user.id, stopped, {
        from: ['ready'],
        lastAccessAt: at(6),
      }),
    ).toBe(true);
    expect(await get()).toMatchObject({ state: 'stopped', lastAccessAt: at(6), updatedAt: at(5) });
  });

  it('lets exactly one of two racing copy transitions apply', async () => {
    const store = await dbs.openFresh();
    const { user, lab } = await seedLab(store);
    const deployment = aLabDeployment(lab);
    await store.labDeployments.insert(deployment);
    await store.labEnvironments.insertIfMissing(
      aLabEnvironment(deployment.id, user.id, { state: 'stopped' }),
    );
    const race = () =>
      store.labEnvironments.update(
        deployment.id,
        user.id,
        { state: 'pending', updatedAt: at(8) },
        { from: ['stopped'] },
      );
    expect((await Promise.all([race(), race(), race()])).filter(Boolean)).toHaveLength(1);
  });

  it('sets every copy of one deployment to one state and counts them', async () => {
    const store = await dbs.openFresh();
    const { user, lab } = await seedLab(store);
    const student = aUser();
    await store.users.insert(student);
    const [one, two] = [aLabDeployment(lab), aLabDeployment(lab)];
    for (const d of [one, two]) await store.labDeployments.insert(d);
    for (const u of [user, student])
      await store.labEnvironments.insertIfMissing(aLabEnvironment(one.id, u.id));
    const untouched = aLabEnvironment(two.id, user.id);
    await store.labEnvironments.insertIfMissing(untouched);
    expect(await store.labEnvironments.setStateForDeployment(one.id, 'removed', at(20))).toBe(2);
    const states = (await store.labEnvironments.listByDeployment(one.id)).map((e) => [e.state, e.updatedAt]);
    expect(states).toEqual([
      ['removed', at(20)],
      ['removed', at(20)],
    ]);
    expect(await store.labEnvironments.get(two.id, user.id)).toEqual(untouched);
    expect(await store.labEnvironments.setStateForDeployment('missing', 'removed', at(20))).toBe(0);
  });
}

export function labAccessLogContract(dbs: TestDatabases): void {
  it('lists one copy’s opens newest first with the viewer’s names, bounded, and drops them with the deployment', async () => {
    const store = await dbs.openFresh();
    const { user, lab } = await seedLab(store);
    const ta = aUser({ username: 'tess', displayName: 'Tess Assistant' });
    const other = aUser();
    for (const u of [ta, other]) await store.users.insert(u);
    const deployment = aLabDeployment(lab);
    await store.labDeployments.insert(deployment);
    const record = (id: string, minute: number, overrides: Record<string, string> = {}) => ({
      id,
      deploymentId: deployment.id,
      userId: user.id,
      viewerId: ta.id,
      component: 'shell',
      kind: 'terminal' as const,
      at: at(minute),
      ...overrides,
    });
    await store.labAccessLog.insert(record('a', 1));
    await store.labAccessLog.insert(record('b', 3, { kind: 'http', component: 'web' }));
    await store.labAccessLog.insert(record('c', 2));
    await store.labAccessLog.insert(record('d', 4, { userId: other.id }));
    const listed = await store.labAccessLog.listByCopy(deployment.id, user.id, 10);
    expect(listed.map((r) => r.id)).toEqual(['b', 'c', 'a']);
    expect(listed[0]).toEqual({
      ...record('b', 3, { kind: 'http', component: 'web' }),
      viewerUsername: 'tess',
      viewerName: 'Tess Assistant',
    });
    expect((await store.labAccessLog.listByCopy(deployment.id, user.id, 2)).map((r) => r.id)).toEqual([
      'b',
      'c',
    ]);
    expect(await store.labAccessLog.listByCopy(deployment.id, 'nobody', 10)).toEqual([]);
    await store.labDeployments.setState(deployment.id, ['deploying'], {
      state: 'destroyed',
      updatedAt: at(9),
    });
    expect(await store.labs.delete(lab.id)).toBe(true);
    expect(await store.labAccessLog.listByCopy(deployment.id, user.id, 10)).toEqual([]);
  });
}
