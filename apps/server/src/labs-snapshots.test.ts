import {
  type Actor,
  type CoreDeps,
  type LabDeployRequest,
  LabService,
  type LabSnapshotRequest,
  type Store,
} from '@aperture/core';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeLabBackend } from './testing/fake-lab-backend.ts';
import { type LabCourse, openLabCourse } from './testing/lab-course.ts';

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

let store: Store;
let deps: CoreDeps;
let instructor: Actor;
let course: LabCourse;

beforeEach(async () => {
  course = await openLabCourse({ now: () => new Date(), students: ['sam'] });
  ({ store, deps, instructor } = course);
});

afterEach(() => course.close());

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
