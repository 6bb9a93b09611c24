import type { V1Node, V1Pod, V1PriorityClass, V1RuntimeClass, V1StorageClass } from '@kubernetes/client-node';
import { CNI_NAMESPACES, detectCni } from './cni.ts';
import { doctorPermission, unanswered } from './evaluate-common.ts';
import type { PriorityClassNames, VolumeSnapshotClass } from './facts.ts';
import type { Probe } from './failures.ts';
import { check, type DoctorCheck } from './report.ts';

/** The checks of what the cluster offers runs and labs: network isolation, runtimes, storage, nodes. */

export function evaluateNetworkPolicyEnforcement(pods: Probe<V1Pod[]>, nodes: Probe<V1Node[]>): DoctorCheck {
  const id = 'network-policy-enforcement';
  if (!pods.ok && !nodes.ok) return unanswered(id, nodes.failure, doctorPermission('nodes'));
  const cni = detectCni(pods.ok ? pods.value : [], nodes.ok ? nodes.value : []);
  const seen = cni.found.join(' + ');
  if (cni.canal) return check(id, 'pass', 'Canal (Calico enforces NetworkPolicy on Flannel’s network)');
  if (cni.k3s && !cni.found.some((name) => name !== 'Flannel'))
    return check(
      id,
      'pass',
      'k3s: its built-in policy controller enforces NetworkPolicy (unless k3s runs with --disable-network-policy)',
    );
  if (cni.enforcing) return check(id, 'pass', `${seen} enforces NetworkPolicy`);
  if (cni.found.length > 0)
    return check(
      id,
      'fail',
      `${seen} does not enforce NetworkPolicy: the policies are accepted and ignored, so runs are not cut off from the network and per-student lab networks are not isolated (a student's lab can reach every other student's)`,
      'add a policy engine: Calico on Flannel (Canal), or move to Calico or Cilium',
    );
  const where = pods.ok
    ? `pods in ${CNI_NAMESPACES.join(', ')} and at the nodes`
    : 'the nodes only; these credentials may not list pods in kube-system';
  return check(
    id,
    'warn',
    `cannot tell which CNI this cluster runs (looked at ${where}): NetworkPolicy objects are accepted by every API server but enforced only by some CNIs; where they are not, runs are not cut off from the network and per-student lab networks are not isolated`,
    'enforcing: Calico, Cilium, Antrea, kube-router, Weave Net, Canal; not: Flannel alone. To verify, see ' +
      'docs/kubernetes-rbac-and-doctor.md ("Verify NetworkPolicy enforcement"): a pod in the runs namespace must fail to reach 1.1.1.1',
  );
}

export function evaluateRuntimeClasses(probe: Probe<V1RuntimeClass[]>): DoctorCheck {
  if (!probe.ok) return unanswered('runtime-classes', probe.failure, doctorPermission('runtimeclasses'));
  if (probe.value.length === 0)
    return check(
      'runtime-classes',
      'warn',
      'none: runs use the default runtime (runc); gVisor is recommended for untrusted code',
      'install gVisor (runsc) on the nodes, create a RuntimeClass with handler runsc ' +
        '(https://gvisor.dev/docs/user_guide/containerd/quick_start/) and give its name to Aperture (runtimeClassName)',
    );
  const list = probe.value.map((rc) => `${rc.metadata?.name} (handler ${rc.handler})`).join(', ');
  return check('runtime-classes', 'pass', list);
}

const DEFAULT_STORAGE_CLASS = [
  'storageclass.kubernetes.io/is-default-class',
  'storageclass.beta.kubernetes.io/is-default-class',
];

export function evaluateStorageClasses(probe: Probe<V1StorageClass[]>): DoctorCheck {
  if (!probe.ok) return unanswered('storage-classes', probe.failure, doctorPermission('storageclasses'));
  const classes = probe.value;
  if (classes.length === 0)
    return check(
      'storage-classes',
      'warn',
      'none: lab volumes cannot be provisioned',
      'install a CSI driver or provisioner with a StorageClass (one node: rancher/local-path-provisioner) and mark it default',
    );
  const isDefault = (sc: V1StorageClass) =>
    DEFAULT_STORAGE_CLASS.some((key) => sc.metadata?.annotations?.[key] === 'true');
  const defaults = classes.filter(isDefault);
  const list = classes
    .map((sc) => `${sc.metadata?.name}${isDefault(sc) ? ' (default)' : ''} [${sc.provisioner}]`)
    .join(', ');
  const mark = `kubectl patch storageclass NAME -p '{"metadata":{"annotations":{"${DEFAULT_STORAGE_CLASS[0]}":"true"}}}'`;
  if (defaults.length === 0) return check('storage-classes', 'warn', `${list}; none is the default`, mark);
  if (defaults.length > 1)
    return check(
      'storage-classes',
      'warn',
      `${list}: several defaults (the newest wins)`,
      `keep one: set ${DEFAULT_STORAGE_CLASS[0]}=false on the others`,
    );
  return check('storage-classes', 'pass', list);
}

export function evaluateVolumeSnapshots(probe: Probe<VolumeSnapshotClass[]>): DoctorCheck {
  const hint =
    'install the snapshot CRDs and controller (github.com/kubernetes-csi/external-snapshotter) and a ' +
    'VolumeSnapshotClass for your CSI driver';
  if (!probe.ok) {
    if (probe.failure.reason === 'not-found')
      return check(
        'volume-snapshots',
        'warn',
        'no VolumeSnapshot support: lab checkpoints will not include volume data',
        hint,
      );
    return unanswered('volume-snapshots', probe.failure, doctorPermission('volumesnapshotclasses'));
  }
  if (probe.value.length === 0)
    return check(
      'volume-snapshots',
      'warn',
      'the VolumeSnapshot API is there but no VolumeSnapshotClass: lab checkpoints will not include volume data',
      hint,
    );
  const isDefault = (c: VolumeSnapshotClass) =>
    c.metadata?.annotations?.['snapshot.storage.kubernetes.io/is-default-class'] === 'true';
  const list = probe.value.map((c) => `${c.metadata?.name}${isDefault(c) ? ' (default)' : ''} [${c.driver}]`);
  return check('volume-snapshots', 'pass', list.join(', '));
}

export function evaluateNodes(probe: Probe<V1Node[]>): DoctorCheck {
  if (!probe.ok) return unanswered('nodes', probe.failure, doctorPermission('nodes'));
  const byArch = new Map<string, { ready: number; notReady: number }>();
  for (const node of probe.value) {
    const arch =
      node.metadata?.labels?.['kubernetes.io/arch'] ?? node.status?.nodeInfo?.architecture ?? 'unknown';
    const counts = byArch.get(arch) ?? { ready: 0, notReady: 0 };
    if (isReady(node)) counts.ready++;
    else counts.notReady++;
    byArch.set(arch, counts);
  }
  const ready = [...byArch.values()].reduce((sum, c) => sum + c.ready, 0);
  const perArch = [...byArch]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([arch, c]) => `${arch} ${c.ready} Ready${c.notReady ? ` + ${c.notReady} not Ready` : ''}`)
    .join(', ');
  const detail = `${probe.value.length} node${probe.value.length === 1 ? '' : 's'}${perArch ? `: ${perArch}` : ''}`;
  if (ready === 0)
    return check(
      'nodes',
      'fail',
      `${detail}; no Ready node, so no run can start`,
      '`kubectl get nodes`, then `kubectl describe node NAME`: kubelet, container runtime and CNI must be up',
    );
  return check('nodes', 'pass', detail);
}

function isReady(node: V1Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function evaluatePriorityClasses(
  probe: Probe<V1PriorityClass[]>,
  names: PriorityClassNames,
): DoctorCheck {
  if (!probe.ok) return unanswered('priority-classes', probe.failure, doctorPermission('priorityclasses'));
  const values = new Map(probe.value.map((pc) => [pc.metadata?.name ?? '', pc.value]));
  const wanted = [names.platform, names.labs, names.runs];
  const missing = wanted.filter((name) => !values.has(name));
  if (missing.length > 0)
    return check(
      'priority-classes',
      'fail',
      `missing: ${missing.join(', ')}`,
      'kubectl apply -f deploy/rbac/priorityclasses.yaml',
    );
  const [platform, labs, runs] = wanted.map((name) => values.get(name) ?? 0) as [number, number, number];
  const ordered = wanted.map((name) => `${name} ${values.get(name)}`);
  if (!(platform > labs && labs > runs))
    return check(
      'priority-classes',
      'fail',
      `out of order: ${ordered.join(', ')}; platform > labs > runs is needed, so runs yield first`,
      'a PriorityClass value cannot be changed: delete the three and kubectl apply -f deploy/rbac/priorityclasses.yaml',
    );
  return check('priority-classes', 'pass', ordered.join(' > '));
}
