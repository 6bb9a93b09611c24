/**
 * Volume snapshots of labs against the test cluster's real API server.
 *
 * The test cluster has no snapshot CRDs, no snapshot controller and no CSI driver, and the
 * external-snapshotter CRDs cannot be downloaded here. So this test installs minimal stand-ins:
 * hand-written apiextensions.k8s.io/v1 CRDs with the upstream group, version, kinds, plurals and
 * scopes (and a status subresource on VolumeSnapshot and VolumeSnapshotContent, as upstream) but
 * no schema beyond `x-kubernetes-preserve-unknown-fields`, plus a VolumeSnapshotClass. The test
 * itself plays the snapshot controller's part: it makes the dev snapshot's VolumeSnapshotContent
 * and sets `status.readyToUse` / `boundVolumeSnapshotContentName`. What is real: the API server
 * storing, listing by label and deleting these objects, discovery, and Aperture's requests.
 * What is not tested here: a CSI driver taking or restoring a snapshot. The CRDs are removed at the end.
 */
import { randomBytes } from 'node:crypto';
import { catalogLabTemplate, type LabStudent, type LabVersionRef, labVersionId } from '@aperture/core';
import {
  ApiextensionsV1Api,
  ApisApi,
  CoreV1Api,
  CustomObjectsApi,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, eventually, logger } from '../testing/cluster.ts';
import { testRenderOptions } from '../testing/labs.ts';
import { KubernetesLabProvisioner } from './kubernetes-lab-provisioner.ts';
import { claimName, labNamespaceName } from './names.ts';
import {
  devSnapshotName,
  SNAPSHOT_GROUP,
  studentContentName,
  type VolumeSnapshot,
  type VolumeSnapshotContent,
} from './volume-snapshots.ts';

const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const extensions = kc.makeApiClient(ApiextensionsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const run = randomBytes(3).toString('hex');
const instance = `k8s-snap-${run}`;
const render = testRenderOptions(instance, 'kwok');
const DRIVER = 'test.csi.aperture.dev';
const CLASS = `aperture-test-${run}`;

const template = (() => {
  const result = catalogLabTemplate('shell', { cpu: '1', memory: '1Gi', storage: '1Gi' });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.template;
})();
const version: LabVersionRef = { id: labVersionId(template, {}), template, images: {} };
const home = claimName('shell', 'home');
const instructor: LabStudent = { id: `u_prof_${run}`, username: 'prof' };
const student: LabStudent = { id: `u_alice_${run}`, username: 'alice' };
const devId = `dev-${run}`;
const courseId = `course-${run}`;
const devNamespace = labNamespaceName('lab', devId, instructor.id);
const studentNamespace = labNamespaceName('lab', courseId, student.id);

const provisioner = (readyTimeoutMs = 30_000) =>
  KubernetesLabProvisioner.fromOptions({
    kubeConfig: kc,
    render,
    logger,
    retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 500 },
    pollIntervalMs: 200,
    namespaceGoneTimeoutMs: 60_000,
    volumeSnapshots: { readyTimeoutMs },
  });

/** Stand-ins for external-snapshotter's CRDs (see the top of the file). */
function crd(kind: string, plural: string, scope: 'Namespaced' | 'Cluster'): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${plural}.${SNAPSHOT_GROUP}`,
      // *.k8s.io is a protected group: the upstream CRDs carry this approval annotation too.
      annotations: {
        'api-approved.kubernetes.io': 'https://github.com/kubernetes-csi/external-snapshotter/pull/814',
      },
    },
    spec: {
      group: SNAPSHOT_GROUP,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      scope,
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
          ...(kind === 'VolumeSnapshotClass' ? {} : { subresources: { status: {} } }),
        },
      ],
    },
  };
}

const CRDS = [
  crd('VolumeSnapshotClass', 'volumesnapshotclasses', 'Cluster'),
  crd('VolumeSnapshotContent', 'volumesnapshotcontents', 'Cluster'),
  crd('VolumeSnapshot', 'volumesnapshots', 'Namespaced'),
];
let installed = false;

async function installSnapshotApi(): Promise<void> {
  installed = true;
  for (const body of CRDS) await extensions.createCustomResourceDefinition({ body });
  await eventually('the snapshot CRDs established', async () => {
    for (const { metadata } of CRDS) {
      const found = await extensions.readCustomResourceDefinition({ name: metadata?.name ?? '' });
      const established = found.status?.conditions?.find((c) => c.type === 'Established');
      if (established?.status !== 'True') return undefined;
    }
    return true;
  });
  // Established is not served yet: a new CRD's storage answers 429 "(re)initializing" for a moment.
  await eventually('the snapshot CRDs served', async () => {
    for (const plural of ['volumesnapshotclasses', 'volumesnapshotcontents', 'volumesnapshots']) {
      const listed = await custom
        .listClusterCustomObject({ group: SNAPSHOT_GROUP, version: 'v1', plural })
        .then(() => true)
        .catch(() => false);
      if (!listed) return undefined;
    }
    return true;
  });
  await custom.createClusterCustomObject({
    group: SNAPSHOT_GROUP,
    version: 'v1',
    plural: 'volumesnapshotclasses',
    body: {
      apiVersion: `${SNAPSHOT_GROUP}/v1`,
      kind: 'VolumeSnapshotClass',
      metadata: { name: CLASS, annotations: { 'snapshot.storage.kubernetes.io/is-default-class': 'true' } },
      driver: DRIVER,
      deletionPolicy: 'Delete',
    },
  });
}

async function removeSnapshotApi(): Promise<void> {
  // Deleting a CRD deletes every object of it.
  for (const { metadata } of CRDS)
    await extensions.deleteCustomResourceDefinition({ name: metadata?.name ?? '' }).catch(() => undefined);
  await eventually('the snapshot CRDs gone', async () => {
    const crds = await extensions.listCustomResourceDefinition();
    return crds.items.some((c) => c.spec.group === SNAPSHOT_GROUP) ? undefined : true;
  });
}

const getSnapshot = (namespace: string, name: string) =>
  custom.getNamespacedCustomObject({
    group: SNAPSHOT_GROUP,
    version: 'v1',
    namespace,
    plural: 'volumesnapshots',
    name,
  }) as Promise<VolumeSnapshot>;

const getContent = (name: string) =>
  custom.getClusterCustomObject({
    group: SNAPSHOT_GROUP,
    version: 'v1',
    plural: 'volumesnapshotcontents',
    name,
  }) as Promise<VolumeSnapshotContent>;

/**
 * The snapshot controller's part, played by the test: for each VolumeSnapshot of the namespace
 * without a status, a VolumeSnapshotContent with a snapshot handle, then the snapshot ready.
 */
async function actAsSnapshotController(namespace: string, stop: { done: boolean }): Promise<string[]> {
  const handled: string[] = [];
  while (!stop.done) {
    const list = (await custom
      .listNamespacedCustomObject({
        group: SNAPSHOT_GROUP,
        version: 'v1',
        namespace,
        plural: 'volumesnapshots',
      })
      // A busy API server (429) is asked again on the next round, as a controller would.
      .catch(() => ({ items: [] }))) as { items: VolumeSnapshot[] };
    for (const snapshot of list.items) {
      const name = snapshot.metadata?.name ?? '';
      if (snapshot.status?.readyToUse || handled.includes(name)) continue;
      const content = `snapcontent-${snapshot.metadata?.uid}`;
      await custom.createClusterCustomObject({
        group: SNAPSHOT_GROUP,
        version: 'v1',
        plural: 'volumesnapshotcontents',
        body: {
          apiVersion: `${SNAPSHOT_GROUP}/v1`,
          kind: 'VolumeSnapshotContent',
          metadata: { name: content },
          spec: {
            deletionPolicy: 'Delete',
            driver: DRIVER,
            source: { volumeHandle: `vol-${run}` },
            volumeSnapshotClassName: CLASS,
            volumeSnapshotRef: { name, namespace, uid: snapshot.metadata?.uid },
          },
        },
      });
      const bound = await getContent(content);
      await custom.replaceClusterCustomObjectStatus({
        group: SNAPSHOT_GROUP,
        version: 'v1',
        plural: 'volumesnapshotcontents',
        name: content,
        body: { ...bound, status: { snapshotHandle: `handle/${run}/${name}`, readyToUse: true } },
      });
      await custom.replaceNamespacedCustomObjectStatus({
        group: SNAPSHOT_GROUP,
        version: 'v1',
        namespace,
        plural: 'volumesnapshots',
        name,
        body: { ...snapshot, status: { readyToUse: true, boundVolumeSnapshotContentName: content } },
      });
      handled.push(content);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return handled;
}

const devContents: string[] = [];
/** Objects of a student's copy without snapshots (the dev copy's). */
let plainObjects = 0;

afterAll(async () => {
  const labs = provisioner();
  await labs.teardown(courseId).catch(() => undefined);
  await labs.teardown(devId).catch(() => undefined);
  if (installed) await removeSnapshotApi();
});

describe('lab volume snapshots (test cluster; stand-in snapshot CRDs, the test plays the controller)', () => {
  it('without the snapshot API: no capability, snapshotVolumes is null, the deploy as before', async () => {
    const labs = provisioner();
    const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
    expect(groups.groups.map((group) => group.name)).not.toContain(SNAPSHOT_GROUP);
    expect(await labs.capabilities()).toEqual({ kubevirt: false, volumeSnapshots: false });
    const report = await labs.deploy({ deploymentId: devId, labVersion: version, students: [instructor] });
    expect(report.failed).toBe(0);
    plainObjects = report.students[0]?.ok ? report.students[0].objects : 0;
    expect(
      await labs.snapshotVolumes({ deploymentId: devId, student: instructor, versionId: version.id }),
    ).toBe(null);
  });

  it('a checkpoint snapshots each claim of the dev copy, waits until ready, keeps the data (Retain)', async () => {
    await installSnapshotApi();
    const labs = provisioner();
    expect(await labs.capabilities()).toEqual({ kubevirt: false, volumeSnapshots: true });
    const stop = { done: false };
    const controller = actAsSnapshotController(devNamespace, stop);
    try {
      const snapshots = await labs.snapshotVolumes({
        deploymentId: devId,
        student: instructor,
        versionId: version.id,
      });
      const name = devSnapshotName(version.id, home);
      expect(snapshots).toEqual({ [home]: `csi://${DRIVER}/handle/${run}/${name}` });
      const snapshot = await getSnapshot(devNamespace, name);
      expect(snapshot.spec).toEqual({
        volumeSnapshotClassName: CLASS,
        source: { persistentVolumeClaimName: home },
      });
      expect(snapshot.metadata?.labels?.['dev.aperture.deployment']).toBe(devId);
      expect(snapshot.metadata?.annotations?.['dev.aperture.lab-version']).toBe(version.id);
      const content = await getContent(snapshot.status?.boundVolumeSnapshotContentName ?? '');
      expect(content.spec?.deletionPolicy).toBe('Retain');
      devContents.push(content.metadata?.name ?? '');
    } finally {
      stop.done = true;
      await controller;
    }
  });

  it("a student's claim is restored from a VolumeSnapshot of their own; teardown deletes it all", async () => {
    const labs = provisioner();
    const snapshotName = devSnapshotName(version.id, home);
    const reference = `csi://${DRIVER}/handle/${run}/${snapshotName}`;
    const published: LabVersionRef = { ...version, snapshots: { [home]: reference } };
    const report = await labs.deploy({ deploymentId: courseId, labVersion: published, students: [student] });
    // The claim's VolumeSnapshotContent and VolumeSnapshot come on top of the usual objects.
    expect(report.students[0]).toMatchObject({ ok: true, objects: plainObjects + 2 });

    const claim = await core.readNamespacedPersistentVolumeClaim({ name: home, namespace: studentNamespace });
    expect(claim.spec?.dataSource).toEqual({ apiGroup: SNAPSHOT_GROUP, kind: 'VolumeSnapshot', name: home });
    const snapshot = await getSnapshot(studentNamespace, home);
    const contentName = studentContentName(studentNamespace, home);
    expect(snapshot.spec).toEqual({ source: { volumeSnapshotContentName: contentName } });
    const content = await getContent(contentName);
    expect(content.spec).toEqual({
      deletionPolicy: 'Retain',
      driver: DRIVER,
      source: { snapshotHandle: `handle/${run}/${snapshotName}` },
      volumeSnapshotRef: { name: home, namespace: studentNamespace },
    });
    expect(content.metadata?.labels?.['dev.aperture.deployment']).toBe(courseId);

    // A re-deploy converges: the claim's dataSource (immutable) is what it was.
    expect(
      (await labs.deploy({ deploymentId: courseId, labVersion: published, students: [student] })).failed,
    ).toBe(0);
    // A reset makes the student's content anew (the old one was bound to the deleted VolumeSnapshot).
    const before = content.metadata?.uid;
    expect((await labs.reset({ deploymentId: courseId, labVersion: published, student })).ok).toBe(true);
    expect((await getContent(contentName)).metadata?.uid).not.toBe(before);

    const receipt = await labs.teardown(courseId);
    expect(receipt.errors).toEqual([]);
    expect(receipt.verified).toBe(true);
    expect(receipt.deleted).toEqual(
      expect.arrayContaining([
        { kind: 'VolumeSnapshotContent', name: contentName },
        { kind: 'VolumeSnapshot', namespace: studentNamespace, name: home },
        { kind: 'PersistentVolumeClaim', namespace: studentNamespace, name: home },
      ]),
    );
    await expect(getContent(contentName)).rejects.toMatchObject({ code: 404 });
    // The dev snapshot's data is untouched: its content is still there.
    expect((await getContent(devContents[0] ?? '')).spec?.deletionPolicy).toBe('Retain');
  });

  it('a snapshot not ready in time fails the checkpoint naming the claim, and is deleted again', async () => {
    const labs = provisioner(1_500);
    const other = `sha256:${'b'.repeat(64)}`;
    await expect(
      labs.snapshotVolumes({ deploymentId: devId, student: instructor, versionId: other }),
    ).rejects.toThrow(new RegExp(`^volume ${home}: VolumeSnapshot .* was not ready to use after 2 s$`));
    await expect(getSnapshot(devNamespace, devSnapshotName(other, home))).rejects.toMatchObject({
      code: 404,
    });
  });

  it('the dev teardown deletes its VolumeSnapshots (the version data stays, Retain); then the CRDs go', async () => {
    const receipt = await provisioner().teardown(devId);
    expect(receipt.verified).toBe(true);
    expect(receipt.deleted).toEqual(
      expect.arrayContaining([
        { kind: 'VolumeSnapshot', namespace: devNamespace, name: devSnapshotName(version.id, home) },
      ]),
    );
    expect((await getContent(devContents[0] ?? '')).metadata?.name).toBe(devContents[0]);
    await removeSnapshotApi();
    installed = false;
    expect(await provisioner().capabilities()).toEqual({ kubevirt: false, volumeSnapshots: false });
  });
});
