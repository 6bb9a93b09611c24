/**
 * The Kubernetes permissions the lab provisioner uses, in the shape of permissions.ts (to be merged
 * into it). All are cluster-wide: every student gets a namespace made on the fly, so no Role in a
 * fixed namespace could cover them. Server-side apply is a `patch`, and also needs `create` for an
 * object that does not exist yet (the API server checks both).
 */
import { describePermission, type Permission } from '../permissions.ts';

/** What the provisioner writes, in apply order, with the API group of each. */
export const LAB_RESOURCES = [
  { kind: 'Namespace', apiVersion: 'v1', group: '', resource: 'namespaces' },
  { kind: 'ResourceQuota', apiVersion: 'v1', group: '', resource: 'resourcequotas' },
  { kind: 'LimitRange', apiVersion: 'v1', group: '', resource: 'limitranges' },
  {
    kind: 'NetworkPolicy',
    apiVersion: 'networking.k8s.io/v1',
    group: 'networking.k8s.io',
    resource: 'networkpolicies',
  },
  { kind: 'PersistentVolumeClaim', apiVersion: 'v1', group: '', resource: 'persistentvolumeclaims' },
  { kind: 'Service', apiVersion: 'v1', group: '', resource: 'services' },
  { kind: 'Deployment', apiVersion: 'apps/v1', group: 'apps', resource: 'deployments' },
] as const;

/** Not written, but labelled by us (the Deployments' template): read by status and teardown's check. */
export const LAB_POD = { kind: 'Pod', apiVersion: 'v1', group: '', resource: 'pods' } as const;

/**
 * The snapshot API (external-snapshotter's CRDs, where the cluster has them): checkpoints snapshot
 * the dev copy's claims, and a student's claim is restored from a per-student copy of each
 * (volume-snapshots.ts). Not part of every lab, so not in LAB_RESOURCES: teardown lists them only
 * where the API is served.
 */
export const SNAPSHOT_RESOURCES = [
  {
    kind: 'VolumeSnapshotContent',
    apiVersion: 'snapshot.storage.k8s.io/v1',
    group: 'snapshot.storage.k8s.io',
    resource: 'volumesnapshotcontents',
  },
  {
    kind: 'VolumeSnapshot',
    apiVersion: 'snapshot.storage.k8s.io/v1',
    group: 'snapshot.storage.k8s.io',
    resource: 'volumesnapshots',
  },
  {
    kind: 'VolumeSnapshotClass',
    apiVersion: 'snapshot.storage.k8s.io/v1',
    group: 'snapshot.storage.k8s.io',
    resource: 'volumesnapshotclasses',
  },
] as const;

export type LabResource =
  | (typeof LAB_RESOURCES)[number]
  | typeof LAB_POD
  | (typeof SNAPSHOT_RESOURCES)[number];

export type LabKind = (typeof LAB_RESOURCES)[number]['kind'];

function labPermission(
  group: string,
  resource: string,
  verb: string,
  why: string,
  subresource?: string,
): Permission {
  // `runs`: fatal when missing (permissions.ts has no `labs` yet; the merge may add one).
  return {
    group,
    resource,
    ...(subresource ? { subresource } : {}),
    verb,
    scope: 'cluster',
    neededBy: 'runs',
    why,
  };
}

export const LAB_PERMISSIONS: readonly Permission[] = [
  ...LAB_RESOURCES.flatMap(({ kind, group, resource }) => [
    labPermission(group, resource, 'create', `the first server-side apply of a lab's ${kind}`),
    labPermission(
      group,
      resource,
      'patch',
      `server-side apply of a lab's ${kind} (deploy, re-deploy, reset)`,
    ),
    labPermission(group, resource, 'list', `lab status and the teardown receipt (find ${kind}s by label)`),
  ]),
  labPermission('', 'namespaces', 'delete', "teardown and reset delete a student's namespace"),
  labPermission(
    '',
    'pods',
    'list',
    "lab status (why a component is not ready), teardown's check, finding a component's pod for access",
  ),
  // The WebSocket upgrade is a GET; since 1.31 the API server also demands `create` for it.
  labPermission('', 'pods', 'get', 'browser terminal and lab checks (exec over WebSocket)', 'exec'),
  labPermission('', 'pods', 'create', 'browser terminal and lab checks (exec over WebSocket)', 'exec'),
  labPermission(
    '',
    'pods',
    'get',
    'HTTP proxy, VNC and TCP checks (port-forward over WebSocket)',
    'portforward',
  ),
  labPermission(
    '',
    'pods',
    'create',
    'HTTP proxy, VNC and TCP checks (port-forward over WebSocket)',
    'portforward',
  ),
  ...['create', 'patch', 'get', 'list', 'delete'].map((verb) =>
    labPermission(
      'snapshot.storage.k8s.io',
      'volumesnapshots',
      verb,
      "checkpoint snapshots of the dev copy's volumes (create, get until ready, delete a failed one); " +
        "a student's copy of each (server-side apply); teardown's check (list)",
    ),
  ),
  ...['create', 'patch', 'get', 'list', 'delete'].map((verb) =>
    labPermission(
      'snapshot.storage.k8s.io',
      'volumesnapshotcontents',
      verb,
      "a checkpoint reads the dev snapshot's content and keeps it (deletionPolicy Retain); each student " +
        'gets a pre-provisioned copy (server-side apply) that teardown and reset delete (cluster-scoped)',
    ),
  ),
  labPermission(
    'snapshot.storage.k8s.io',
    'volumesnapshotclasses',
    'list',
    'whether checkpoints can snapshot volumes (a VolumeSnapshotClass exists), and which class',
  ),
];

/** The lab permission for a verb on a resource (`pods/exec` for a subresource), if there is one. */
export function labPermissionOf(verb: string, resource: string): Permission | undefined {
  const [name, subresource] = resource.split('/');
  return LAB_PERMISSIONS.find((p) => p.verb === verb && p.resource === name && p.subresource === subresource);
}

export function resourceOfKind(kind: string): LabResource {
  const found = [...LAB_RESOURCES, LAB_POD, ...SNAPSHOT_RESOURCES].find((r) => r.kind === kind);
  if (!found) throw new Error(`the lab provisioner does not write ${kind} objects`);
  return found;
}

/** `create namespaces`, …: every lab permission as RBAC names it, for docs and doctor. */
export const describeLabPermissions = (): string[] => LAB_PERMISSIONS.map(describePermission);
