/**
 * The Kubernetes LabProvisioner against the test cluster's real API server: a webserver lab to
 * five students (pods Running on kwok's fake nodes; each student's home claim bound to a
 * pre-bound hostPath volume, since the cluster has no StorageClass), a converging re-deploy, a
 * student whose namespace refuses the lab failing alone, status, reset, and a verified teardown.
 * Then the requests per student of a three-component lab.
 */
import { randomBytes } from 'node:crypto';
import {
  catalogLabTemplate,
  type LabProgressEvent,
  type LabStudent,
  type LabTemplate,
  type LabVersionRef,
  labVersionId,
} from '@aperture/core';
import { CoreV1Api, type KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appliedState, controllersCaughtUp } from '../testing/applied-state.ts';
import { adminKubeConfig, eventually, logger } from '../testing/cluster.ts';
import { KubernetesLabProvisioner } from './kubernetes-lab-provisioner.ts';
import { FIELD_MANAGER } from './lab-api.ts';
import { labDeploymentSelector } from './lab-labels.ts';
import { claimName, labNamespaceName } from './names.ts';
import { DEFAULT_DNS_PEER } from './network-policies.ts';
import type { LabRenderOptions } from './render.ts';

const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const objects = KubernetesObjectApi.makeApiClient(kc);
const run = randomBytes(3).toString('hex');
const instance = `k8s-labs-${run}`;
const PV_LABEL = 'aperture-test/lab-provisioner';

const render: LabRenderOptions = {
  namespacePrefix: 'lab',
  instance,
  proxy: {
    namespaceLabels: { 'kubernetes.io/metadata.name': 'aperture' },
    podLabels: { 'app.kubernetes.io/name': 'aperture' },
  },
  dns: DEFAULT_DNS_PEER,
  internetEgress: true,
  extraBlockedCidrs: [],
  imagePrefix: 'localhost/',
  imagePullPolicy: 'IfNotPresent',
  storageClassName: undefined,
  priorityClassName: undefined,
  runtimeClassName: undefined,
  // The kwok nodes have no taints: lab pods schedule there by default and become Running.
  nodeSelector: {},
  tolerations: [],
};

function catalog(type: string, storage: string): LabTemplate {
  const result = catalogLabTemplate(type, { cpu: '1', memory: '1Gi', storage });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.template;
}

const version = (template: LabTemplate): LabVersionRef => ({
  id: labVersionId(template, {}),
  template,
  images: {},
});

const webserver = version(catalog('webserver', '1Gi'));
const deploymentId = `web-${run}`;
const students: LabStudent[] = ['alice', 'bob', 'carol', 'dave', 'erin'].map((name) => ({
  id: `u_${name}_${run}`,
  username: name,
}));
const blocked: LabStudent = { id: `u_mallory_${run}`, username: 'mallory' };

const provisioner = (concurrency = 2) =>
  KubernetesLabProvisioner.fromOptions({
    kubeConfig: kc,
    render,
    logger,
    concurrency,
    retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 },
    pollIntervalMs: 250,
  });

const namespaceOf = (deployment: string, student: LabStudent) =>
  labNamespaceName('lab', deployment, student.id);

/** A hostPath volume reserved for one student's home claim (claimRef: no other claim takes it). */
async function volumeFor(student: LabStudent, suffix = 'a'): Promise<void> {
  const name = `lab-test-${run}-${student.username}-${suffix}`;
  await core.createPersistentVolume({
    body: {
      metadata: { name, labels: { [PV_LABEL]: run } },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        hostPath: { path: `/tmp/${name}` },
        persistentVolumeReclaimPolicy: 'Retain',
        claimRef: { namespace: namespaceOf(deploymentId, student), name: claimName('shell', 'home') },
      },
    },
  });
}

/**
 * What an apply could change of every labelled object of the deployment, by kind/namespace/name
 * (testing/applied-state.ts: not the status, which the controllers keep writing), and whether the
 * controllers have caught up with every one.
 */
async function appliedStates(
  deployment: string,
): Promise<{ states: Record<string, unknown>; caughtUp: boolean }> {
  const selector = labDeploymentSelector(instance, deployment);
  const kinds = [
    ['v1', 'Namespace'],
    ['v1', 'ResourceQuota'],
    ['v1', 'LimitRange'],
    ['networking.k8s.io/v1', 'NetworkPolicy'],
    ['v1', 'PersistentVolumeClaim'],
    ['v1', 'Service'],
    ['apps/v1', 'Deployment'],
  ] as const;
  const entries: [string, unknown][] = [];
  let caughtUp = true;
  for (const [apiVersion, kind] of kinds) {
    const list = await objects.list(
      apiVersion,
      kind,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      selector,
    );
    for (const item of list.items as KubernetesObject[]) {
      if (!controllersCaughtUp(kind, item)) caughtUp = false;
      entries.push([
        `${kind}/${item.metadata?.namespace ?? ''}/${item.metadata?.name}`,
        appliedState(item, FIELD_MANAGER),
      ]);
    }
  }
  return { states: Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b))), caughtUp };
}

/**
 * Until the controllers are done (claims bound, Deployments synced, the quotas' usage computed)
 * and nothing but status changed for 1.5 s.
 */
async function settled(deployment: string): Promise<Record<string, unknown>> {
  let previous = await appliedStates(deployment);
  return eventually(
    'the lab objects to stop changing',
    async () => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const now = await appliedStates(deployment);
      const same = now.caughtUp && JSON.stringify(now.states) === JSON.stringify(previous.states);
      previous = now;
      return same ? now.states : undefined;
    },
    90_000,
  );
}

const withoutClaims = (versions: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(versions).filter(([key]) => !key.startsWith('PersistentVolumeClaim/')));

function perStudent(requests: Record<string, number>, count: number): number {
  return Object.values(requests).reduce((sum, n) => sum + n, 0) / count;
}

const timings: Record<string, number> = {};

beforeAll(async () => {
  for (const student of [...students, blocked]) await volumeFor(student);
});

afterAll(async () => {
  const labelSelector = `${PV_LABEL}=${run}`;
  const volumes = await core.listPersistentVolume({ labelSelector });
  for (const volume of volumes.items)
    await core.deletePersistentVolume({ name: volume.metadata!.name! }).catch(() => undefined);
  // Should anything have failed before teardown: leave no namespace behind.
  for (const deployment of [deploymentId, `three-${run}`]) {
    const left = await core.listNamespace({ labelSelector: labDeploymentSelector(instance, deployment) });
    for (const ns of left.items)
      await core.deleteNamespace({ name: ns.metadata!.name! }).catch(() => undefined);
  }
  console.log(`[labs] ${JSON.stringify(timings)}`);
});

describe('KubernetesLabProvisioner on a real API server', () => {
  const labs = provisioner(2);

  it('deploys a webserver lab to five students, two at a time, with progress for each', async () => {
    const events: LabProgressEvent[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const started = Date.now();
    const report = await labs.deploy({
      deploymentId,
      labVersion: webserver,
      students,
      onProgress: (event) => {
        events.push(event);
        if (event.phase === 'applying' && event.attempt === 1) inFlight++;
        if (event.phase !== 'applying') inFlight--;
        maxInFlight = Math.max(maxInFlight, inFlight);
      },
    });
    timings['deploy5'] = Date.now() - started;
    expect(report.failed).toBe(0);
    expect(report.succeeded).toBe(5);
    expect(report.students.map((result) => result.student.id)).toEqual(students.map((s) => s.id));
    expect(maxInFlight).toBe(2);
    for (const student of students) {
      const phases = events.filter((e) => e.student.id === student.id).map((e) => e.phase);
      expect(phases[0]).toBe('applying');
      expect(phases.at(-1)).toBe('ready');
    }
    const result = report.students[0]!;
    expect(result.ok && result.objects).toBe(8);
    expect(result.environment).toBe(namespaceOf(deploymentId, students[0]!));
  });

  it('status shows every student ready once kwok runs the pods', async () => {
    const status = await eventually(
      'every student ready',
      async () => {
        const report = await labs.status(deploymentId, students);
        return report.students.every((s) => s.state === 'ready') ? report : undefined;
      },
      90_000,
    );
    expect(status.students).toHaveLength(5);
    const alice = status.students.find((s) => s.student.id === students[0]!.id)!;
    expect(alice.student.username).toBe('alice');
    expect(alice.versionId).toBe(webserver.id);
    expect(alice.components.map((c) => [c.name, c.ready, c.available])).toEqual(
      expect.arrayContaining([
        ['web', 1, 1],
        ['shell', 1, 1],
      ]),
    );
  });

  it('a second deploy changes nothing', async () => {
    const before = await settled(deploymentId);
    labs.requests.reset();
    const second = await labs.deploy({ deploymentId, labVersion: webserver, students });
    expect(second.failed).toBe(0);
    // Compared: what an apply owns, not resourceVersions, which the controllers' status writes
    // move at any time. A write by the deploy would show (its field manager's entry records it).
    const afterSecond = (await appliedStates(deploymentId)).states;
    // render.k8s.test.ts: the first apply after a claim was created rewrites it once, same content.
    expect(withoutClaims(afterSecond)).toEqual(withoutClaims(before));
    await labs.deploy({ deploymentId, labVersion: webserver, students });
    expect((await appliedStates(deploymentId)).states).toEqual(afterSecond);
    // Writes only, one per object, no reads: 8 per student.
    expect(perStudent(labs.requests.snapshot(), 10)).toBe(8);
  });

  it("a student whose namespace refuses the lab fails alone; the others' deploy is unaffected", async () => {
    const name = namespaceOf(deploymentId, blocked);
    await core.createNamespace({ body: { metadata: { name } } });
    await core.createNamespacedResourceQuota({
      namespace: name,
      body: { metadata: { name: 'no-services' }, spec: { hard: { services: '0' } } },
    });
    const events: LabProgressEvent[] = [];
    const report = await labs.deploy({
      deploymentId,
      labVersion: webserver,
      students: [blocked, students[0]!],
      onProgress: (event) => events.push(event),
    });
    expect(report.succeeded).toBe(1);
    const failed = report.students[0]!;
    expect(failed.ok).toBe(false);
    if (failed.ok) return;
    // A quota's 403 is final (no retries) and is not mistaken for a missing RBAC permission.
    expect(failed.attempts).toBe(1);
    expect(failed.code).toBe('kubernetes_refused');
    expect(failed.error).toMatch(/^Service web: .*exceeded quota: no-services/);
    expect(events.filter((e) => e.student.id === blocked.id).map((e) => e.phase)).toEqual([
      'applying',
      'failed',
    ]);
    const status = await labs.status(deploymentId, [...students, blocked]);
    expect(status.students.find((s) => s.student.id === blocked.id)?.state).not.toBe('ready');
    expect(status.students.filter((s) => s.state === 'ready')).toHaveLength(5);
  });

  it("reset returns one student's copy to the published version", async () => {
    const carol = students[2]!;
    const namespace = namespaceOf(deploymentId, carol);
    const before = await core.readNamespace({ name: namespace });
    // Drift: something that is not part of the version.
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'scribbles' } } });
    await volumeFor(carol, 'b');
    const started = Date.now();
    const events: LabProgressEvent[] = [];
    const result = await labs.reset({
      deploymentId,
      labVersion: webserver,
      student: carol,
      onProgress: (e) => events.push(e),
    });
    timings['reset'] = Date.now() - started;
    expect(result.ok).toBe(true);
    expect(events.map((e) => e.phase)).toEqual(['applying', 'ready']);
    const after = await core.readNamespace({ name: namespace });
    expect(after.metadata?.uid).not.toBe(before.metadata?.uid);
    const configMaps = await core.listNamespacedConfigMap({ namespace });
    expect(configMaps.items.map((c) => c.metadata?.name)).not.toContain('scribbles');
    await eventually(
      'carol ready again',
      async () => {
        const status = await labs.status(deploymentId, [carol]);
        const mine = status.students.find((s) => s.student.id === carol.id);
        return mine?.state === 'ready' ? mine : undefined;
      },
      90_000,
    );
  });

  it('teardown deletes everything, returns a receipt and verifies nothing labelled remains', async () => {
    const started = Date.now();
    const receipt = await labs.teardown(deploymentId);
    timings['teardown6'] = Date.now() - started;
    expect(receipt.remaining).toEqual([]);
    expect(receipt.errors).toEqual([]);
    expect(receipt.verified).toBe(true);
    const namespaces = receipt.deleted.filter((ref) => ref.kind === 'Namespace').map((ref) => ref.name);
    expect(namespaces.sort()).toEqual([...students, blocked].map((s) => namespaceOf(deploymentId, s)).sort());
    const alice = namespaceOf(deploymentId, students[0]!);
    expect(receipt.deleted).toEqual(
      expect.arrayContaining([
        { kind: 'ResourceQuota', namespace: alice, name: 'lab-budget' },
        { kind: 'NetworkPolicy', namespace: alice, name: 'lab-isolation' },
        { kind: 'PersistentVolumeClaim', namespace: alice, name: claimName('shell', 'home') },
        { kind: 'Service', namespace: alice, name: 'web' },
        { kind: 'Deployment', namespace: alice, name: 'shell' },
        expect.objectContaining({ kind: 'Pod', namespace: alice }),
      ]),
    );
    // Not the provisioner's word for it: the cluster has no namespace of the deployment left.
    const left = await core.listNamespace({ labelSelector: labDeploymentSelector(instance, deploymentId) });
    expect(left.items).toEqual([]);
  });

  it('a three-component lab takes at most 11 API requests per student', async () => {
    const base = catalog('webserver', '0');
    const template: LabTemplate = {
      ...base,
      metadata: { name: 'three-tier' },
      spec: {
        ...base.spec,
        components: [
          ...base.spec.components,
          {
            name: 'cache',
            kind: 'container',
            image: 'aperture/lab-shell',
            ports: [{ name: 'redis', port: 6379, protocol: 'TCP' }],
          },
        ],
      },
    };
    const fresh = provisioner(10);
    const class5 = students.map((s) => ({ ...s, id: `${s.id}-3` }));
    const started = Date.now();
    const report = await fresh.deploy({
      deploymentId: `three-${run}`,
      labVersion: version(template),
      students: class5,
    });
    timings['deploy5three'] = Date.now() - started;
    expect(report.failed).toBe(0);
    const requests = fresh.requests.snapshot();
    timings['requestsPerStudentThree'] = perStudent(requests, 5);
    console.log(`[labs] requests for 5 students of a 3-component lab: ${JSON.stringify(requests)}`);
    expect(perStudent(requests, 5)).toBeLessThanOrEqual(11);
    const receipt = await fresh.teardown(`three-${run}`);
    expect(receipt.verified).toBe(true);
  });
});
