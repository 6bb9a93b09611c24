/**
 * Checkpoint snapshots in LabService, on a real SQLite store: a backend that can snapshot volumes
 * (the Kubernetes one, faked here; its real run is backend-kubernetes' volume-snapshots.k8s.test.ts)
 * gets asked for the dev copy's snapshots, the version records them, deploys hand them back, and a
 * failed snapshot fails the checkpoint. Without the capability a checkpoint is as before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Actor,
  AuthService,
  type CoreDeps,
  CourseService,
  type LabDeployRequest,
  LabService,
  type LabSnapshotRequest,
  type Store,
} from '@aperture/core';
import { createStore } from '@aperture/storage';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessEventBus } from './infra/event-bus.ts';
import { ScryptSecretHasher } from './infra/hasher.ts';
import { RandomIdGenerator } from './infra/ids.ts';
import { FakeLabBackend } from './testing/fake-lab-backend.ts';

const logger = pino({ level: 'silent' });

class SnapshottingBackend extends FakeLabBackend {
  readonly snapshotRequests: LabSnapshotRequest[] = [];
  readonly deployed: Array<LabDeployRequest['labVersion']> = [];
  answer: () => Promise<Record<string, string> | null> = async () => ({ 'shell-home': 'csi://d/h-1' });

  async snapshotVolumes(request: LabSnapshotRequest): Promise<Record<string, string> | null> {
    this.snapshotRequests.push(request);
    return this.answer();
  }

  override async deploy(request: LabDeployRequest) {
    this.deployed.push(request.labVersion);
    return super.deploy(request);
  }
}

let dir: string;
let store: Store;
let deps: CoreDeps;
let instructor: Actor;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aperture-labs-snap-'));
  store = await createStore({ sqlitePath: join(dir, 'aperture.sqlite') });
  deps = {
    store,
    clock: { now: () => new Date() },
    ids: new RandomIdGenerator(),
    hasher: new ScryptSecretHasher(),
    events: new InProcessEventBus(),
  };
  const auth = new AuthService(deps);
  const courses = new CourseService(deps, auth);
  const staff = await auth.createUser('system', { username: 'ada', role: 'staff' });
  instructor = { userId: staff.id, role: staff.role };
  await courses.create(instructor, { code: 'NET1', title: 'Networks' });
  await courses.enroll(instructor, 'NET1', { username: 'sam', role: 'student' });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function shellLab(backend: FakeLabBackend, storage = '1Gi', name = 'shell') {
  const labs = new LabService(deps, backend, { logger, checkTimeoutMs: 200, pollIntervalMs: 5 });
  const detail = await labs.create(instructor, 'NET1', {
    type: 'shell',
    cpu: '1',
    memory: '1Gi',
    storage,
    name,
  });
  await labs.worker.idle();
  return { labs, labId: detail.lab.id, devId: detail.dev?.deployment.id ?? '' };
}

describe('checkpoint snapshots of the dev copy', () => {
  it('records the snapshots on the version; a deploy of it hands them to the backend', async () => {
    const backend = new SnapshottingBackend();
    const { labs, labId, devId } = await shellLab(backend);
    const { version, created } = await labs.checkpoint(instructor, labId);
    expect(created).toBe(true);
    expect(version.snapshots).toEqual({ 'shell-home': 'csi://d/h-1' });
    expect(backend.snapshotRequests).toEqual([
      { deploymentId: devId, student: { id: instructor.userId, username: 'ada' }, versionId: version.id },
    ]);
    expect((await store.labVersions.get(labId, version.id))?.snapshots).toEqual({
      'shell-home': 'csi://d/h-1',
    });

    await labs.publish(instructor, labId, version.id);
    await labs.worker.idle();
    await labs.deploy(instructor, labId, version.id);
    await labs.worker.idle();
    const courseDeploy = backend.deployed.at(-1);
    expect(courseDeploy).toMatchObject({ id: version.id, snapshots: { 'shell-home': 'csi://d/h-1' } });
  });

  it('a second checkpoint of unchanged content keeps the first snapshots (and takes none)', async () => {
    const backend = new SnapshottingBackend();
    const { labs, labId } = await shellLab(backend);
    const first = await labs.checkpoint(instructor, labId);
    backend.answer = async () => ({ 'shell-home': 'csi://d/h-2' });
    const second = await labs.checkpoint(instructor, labId);
    expect(second).toMatchObject({ created: false, version: { id: first.version.id } });
    expect(second.version.snapshots).toEqual({ 'shell-home': 'csi://d/h-1' });
    expect(backend.snapshotRequests).toHaveLength(1);
  });

  it('a snapshot that fails fails the checkpoint, naming the claim; no version is recorded', async () => {
    const backend = new SnapshottingBackend();
    const { labs, labId } = await shellLab(backend);
    backend.answer = async () => {
      throw new Error('volume shell-home: VolumeSnapshot lab-x/v-1 was not ready to use after 300 s');
    };
    await expect(labs.checkpoint(instructor, labId)).rejects.toMatchObject({
      name: 'UnavailableError',
      message:
        "The checkpoint could not snapshot the dev copy's volumes: volume shell-home: VolumeSnapshot lab-x/v-1 was not ready to use after 300 s",
    });
    expect(await store.labVersions.listByLab(labId)).toEqual([]);
  });

  it('the cluster cannot snapshot (null), or the backend has no snapshots at all: as before', async () => {
    const cannot = new SnapshottingBackend();
    cannot.answer = async () => null;
    const a = await shellLab(cannot);
    expect((await a.labs.checkpoint(instructor, a.labId)).version.snapshots).toBeNull();

    const plain = new FakeLabBackend();
    const b = await shellLab(plain, '1Gi', 'shell-2');
    const { version, created } = await b.labs.checkpoint(instructor, b.labId);
    expect([created, version.snapshots]).toEqual([true, null]);
  });

  it('a dev template without volumes is not snapshotted', async () => {
    const backend = new SnapshottingBackend();
    const { labs, labId } = await shellLab(backend, '0');
    expect((await labs.checkpoint(instructor, labId)).version.snapshots).toBeNull();
    expect(backend.snapshotRequests).toEqual([]);
  });
});
