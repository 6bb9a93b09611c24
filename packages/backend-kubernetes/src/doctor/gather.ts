import {
  AuthorizationV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  NetworkingV1Api,
  NodeV1Api,
  SchedulingV1Api,
  StorageV1Api,
  type V1Pod,
  VersionApi,
} from '@kubernetes/client-node';
import { apiMessage, statusCode } from '../api-errors.ts';
import { LAB_PERMISSIONS } from '../labs/lab-permissions.ts';
import { DOCTOR_PERMISSIONS, type Permission, RUN_PERMISSIONS } from '../permissions.ts';
import { makeApiClient } from './clients.ts';
import { CNI_NAMESPACES } from './cni.ts';
import {
  type AccessResult,
  type Admission,
  accessAttributes,
  type ClusterFacts,
  CREATE_PODS,
  type PodSecurityFacts,
  type PriorityClassNames,
  probePod,
  type ReachableFacts,
  type RunIsolationFacts,
  type VolumeSnapshotClass,
} from './facts.ts';
import { type Probe, probe } from './failures.ts';
import { type IsolationProbeOptions, isolationAdmissionPod, runIsolationProbe } from './isolation-probe.ts';

export interface GatherOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  priorityClassNames: PriorityClassNames;
  timeoutMs: number;
  /** The Localhost profile run pods are configured with, if any. */
  runSeccompProfile?: string | undefined;
  /** Given: try the profile on a node (the opt-in probe). */
  isolationProbe?: Omit<IsolationProbeOptions, 'profile'> | undefined;
}

/** Asks the cluster everything the doctor judges; never throws for an answer it did not get. */
export async function gatherFacts(options: GatherOptions): Promise<ClusterFacts> {
  const { kubeConfig, namespace, timeoutMs } = options;
  const base = {
    server: kubeConfig.getCurrentCluster()?.server ?? '',
    context: kubeConfig.getCurrentContext(),
    namespace,
    priorityClassNames: options.priorityClassNames,
  };
  const version = await probe(() => makeApiClient(kubeConfig, VersionApi, timeoutMs).getCode());
  if (!version.ok) return { ...base, version };
  return {
    ...base,
    version,
    cluster: await gatherReachable(new Clients(kubeConfig, timeoutMs), namespace, options),
  };
}

class Clients {
  readonly core: CoreV1Api;
  readonly authz: AuthorizationV1Api;
  readonly batch: BatchV1Api;
  readonly networking: NetworkingV1Api;
  readonly node: NodeV1Api;
  readonly storage: StorageV1Api;
  readonly scheduling: SchedulingV1Api;
  readonly custom: CustomObjectsApi;

  constructor(kubeConfig: KubeConfig, timeoutMs: number) {
    this.core = makeApiClient(kubeConfig, CoreV1Api, timeoutMs);
    this.authz = makeApiClient(kubeConfig, AuthorizationV1Api, timeoutMs);
    this.batch = makeApiClient(kubeConfig, BatchV1Api, timeoutMs);
    this.networking = makeApiClient(kubeConfig, NetworkingV1Api, timeoutMs);
    this.node = makeApiClient(kubeConfig, NodeV1Api, timeoutMs);
    this.storage = makeApiClient(kubeConfig, StorageV1Api, timeoutMs);
    this.scheduling = makeApiClient(kubeConfig, SchedulingV1Api, timeoutMs);
    this.custom = makeApiClient(kubeConfig, CustomObjectsApi, timeoutMs);
  }
}

async function gatherReachable(
  api: Clients,
  namespace: string,
  options: GatherOptions,
): Promise<ReachableFacts> {
  const [runsNamespace, runAccess, doctorAccess, cniPods, nodes, networkPolicies, podSecurity] =
    await Promise.all([
      probe(() => api.core.readNamespace({ name: namespace })),
      probe(() => reviewAll(api, RUN_PERMISSIONS, namespace)),
      probe(() => reviewAll(api, DOCTOR_PERMISSIONS, namespace)),
      podsWhereCnisLive(api),
      probe(async () => (await api.core.listNode()).items),
      probe(async () => (await api.networking.listNamespacedNetworkPolicy({ namespace })).items),
      probe(() => podSecurityDryRun(api, namespace)),
    ]);
  const [labAccess, runtimeClasses, storageClasses, snapshotClasses, priorityClasses, runIsolation] =
    await Promise.all([
      probe(() => reviewAll(api, LAB_PERMISSIONS, namespace)),
      probe(async () => (await api.node.listRuntimeClass()).items),
      probe(async () => (await api.storage.listStorageClass()).items),
      probe(() => volumeSnapshotClasses(api)),
      probe(async () => (await api.scheduling.listPriorityClass()).items),
      probe(() => gatherRunIsolation(api, namespace, options)),
    ]);
  return {
    runsNamespace,
    runAccess,
    doctorAccess,
    labAccess,
    cniPods,
    nodes,
    networkPolicies,
    podSecurity,
    runtimeClasses,
    storageClasses,
    snapshotClasses,
    priorityClasses,
    runIsolation,
  };
}

/** The profile's admission (dry run, where the credentials may create pods) and the opt-in probe. */
async function gatherRunIsolation(
  api: Clients,
  namespace: string,
  options: GatherOptions,
): Promise<RunIsolationFacts> {
  const profile = options.runSeccompProfile;
  if (!profile) return { admission: { tried: false } };
  const admission: RunIsolationFacts['admission'] = (await review(api, CREATE_PODS, namespace)).allowed
    ? { tried: true, result: await dryRun(api, namespace, isolationAdmissionPod(profile)) }
    : { tried: false };
  if (!options.isolationProbe || (admission.tried && !admission.result.admitted))
    return { profile, admission };
  const probe = await runIsolationProbe(api, namespace, { ...options.isolationProbe, profile });
  return { profile, admission, probe };
}

function reviewAll(api: Clients, permissions: readonly Permission[], namespace: string) {
  return Promise.all(permissions.map((p) => review(api, p, namespace)));
}

async function review(api: Clients, permission: Permission, namespace: string): Promise<AccessResult> {
  const answer = await api.authz.createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: accessAttributes(permission, namespace) } },
  });
  const reason = answer.status?.reason || answer.status?.evaluationError;
  return { permission, allowed: answer.status?.allowed === true, ...(reason ? { reason } : {}) };
}

/** The union over CNI_NAMESPACES; fails only when none of them could be read. */
async function podsWhereCnisLive(api: Clients): Promise<Probe<V1Pod[]>> {
  const lists = await Promise.all(
    CNI_NAMESPACES.map((namespace) =>
      probe(async () => (await api.core.listNamespacedPod({ namespace })).items),
    ),
  );
  const read = lists.flatMap((list) => (list.ok ? [list.value] : []));
  if (read.length === 0 && lists[0] && !lists[0].ok) return lists[0];
  return { ok: true, value: read.flat() };
}

async function podSecurityDryRun(api: Clients, namespace: string): Promise<PodSecurityFacts> {
  if (!(await review(api, CREATE_PODS, namespace)).allowed) return { tried: false };
  const [privileged, root, compliant] = await Promise.all([
    dryRun(api, namespace, probePod('privileged')),
    dryRun(api, namespace, probePod('root')),
    dryRun(api, namespace, probePod('compliant')),
  ]);
  return { tried: true, privileged, root, compliant };
}

async function dryRun(api: Clients, namespace: string, body: V1Pod): Promise<Admission> {
  try {
    await api.core.createNamespacedPod({ namespace, body, dryRun: 'All' });
    return { admitted: true };
  } catch (error) {
    const status = statusCode(error);
    if (status === undefined) throw error;
    return { admitted: false, status, message: apiMessage(error) };
  }
}

async function volumeSnapshotClasses(api: Clients): Promise<VolumeSnapshotClass[]> {
  const list = (await api.custom.listClusterCustomObject({
    group: 'snapshot.storage.k8s.io',
    version: 'v1',
    plural: 'volumesnapshotclasses',
  })) as { items?: VolumeSnapshotClass[] };
  return list.items ?? [];
}
