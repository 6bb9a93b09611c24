/**
 * The shared LabProvisioner contract on the test cluster. With Tier B the lab runs on the real
 * node, so exec, the terminal, port-forward and digests are the real thing; on kwok nodes no
 * container runs and those parts are skipped, saying so. Isolation is skipped on both: the test
 * cluster's CNI (a plain bridge) accepts NetworkPolicies and does not enforce them (doctor says
 * the same of it). The home volumes bind to hostPath volumes of a StorageClass name of this run
 * (the cluster has no provisioner); directories world-writable, as hostPath ignores fsGroup.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { labProvisionerContract } from '@aperture/backend-contract';
import type { LabTarget } from '@aperture/core';
import { CoreV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import { adminKubeConfig, hasRealNode, logger } from '../testing/cluster.ts';
import { testRenderOptions } from '../testing/labs.ts';
import { KubernetesLabProvisioner } from './kubernetes-lab-provisioner.ts';
import { LABEL_LAB_COMPONENT, labDeploymentSelector } from './lab-labels.ts';
import { labNamespaceName } from './names.ts';

const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const objects = KubernetesObjectApi.makeApiClient(kc);
const run = randomBytes(3).toString('hex');
const instance = `k8s-contract-${run}`;
const storageClassName = `lab-contract-${run}`;
const real = hasRealNode();
/** Two students' homes, and the fresh claim of a reset (Retain: a released volume is not reused). */
const VOLUMES = 4;
const volumeDir = (index: number) => `/tmp/aperture-lab-contract-${run}-${index}`;

const KWOK = 'kwok nodes run no containers (Tier B, the real node, does)';

beforeAll(async () => {
  for (let index = 0; index < VOLUMES; index++) {
    // The real node is this machine: its kubelet mounts these directories.
    if (real) {
      mkdirSync(volumeDir(index), { recursive: true });
      chmodSync(volumeDir(index), 0o1777);
    }
    await core.createPersistentVolume({
      body: {
        metadata: { name: `${storageClassName}-${index}` },
        spec: {
          storageClassName,
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          hostPath: { path: volumeDir(index) },
          persistentVolumeReclaimPolicy: 'Retain',
        },
      },
    });
  }
});

afterAll(async () => {
  for (let index = 0; index < VOLUMES; index++) {
    await core.deletePersistentVolume({ name: `${storageClassName}-${index}` }).catch(() => {});
    if (real) rmSync(volumeDir(index), { recursive: true, force: true });
  }
});

const KINDS = [
  ['v1', 'Namespace'],
  ['v1', 'ResourceQuota'],
  ['v1', 'LimitRange'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
  ['v1', 'PersistentVolumeClaim'],
  ['v1', 'Service'],
  ['apps/v1', 'Deployment'],
  ['v1', 'Pod'],
] as const;

async function labelled(deploymentId: string) {
  const selector = labDeploymentSelector(instance, deploymentId);
  const found = [];
  for (const [apiVersion, kind] of KINDS) {
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
    for (const item of list.items) found.push({ kind, item });
  }
  return found;
}

labProvisionerContract(
  `Kubernetes (${real ? 'real node' : 'kwok nodes'})`,
  async () =>
    KubernetesLabProvisioner.fromOptions({
      kubeConfig: kc,
      render: { ...testRenderOptions(instance, real ? 'real' : 'kwok'), storageClassName },
      logger,
      retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 },
      pollIntervalMs: 250,
    }),
  {
    // uid and generation (spec changes only; status writes by controllers do not count), and
    // the pods by uid: a rewritten pod template would replace them.
    fingerprint: async (deploymentId) =>
      (await labelled(deploymentId))
        .map(
          ({ kind, item }) =>
            `${kind}/${item.metadata?.namespace ?? ''}/${item.metadata?.name} ${item.metadata?.uid} ${item.metadata?.generation ?? ''}`,
        )
        .sort(),
    peerAddresses: async (target: LabTarget) => {
      const namespace = labNamespaceName('lab', target.deploymentId, target.studentId);
      const [pods, service] = await Promise.all([
        core.listNamespacedPod({ namespace, labelSelector: `${LABEL_LAB_COMPONENT}=${target.component}` }),
        core.readNamespacedService({ namespace, name: target.component }),
      ]);
      return [
        ...pods.items.map((pod) => pod.status?.podIP ?? '').filter(Boolean),
        service.spec?.clusterIP ?? '',
        `${target.component}.${namespace}`,
        `${target.component}.${namespace}.svc.cluster.local`,
      ].filter(Boolean);
    },
    leftovers: async (deploymentId) =>
      (await labelled(deploymentId)).map(
        ({ kind, item }) => `${kind}/${item.metadata?.namespace ?? ''}/${item.metadata?.name}`,
      ),
    skip: {
      isolation:
        "the test cluster's CNI (a plain bridge) does not enforce NetworkPolicy; doctor warns so on such clusters",
      ...(real ? {} : { exec: KWOK, terminal: KWOK, connect: KWOK, digests: KWOK }),
    },
    readyTimeoutMs: 120_000,
  },
);
