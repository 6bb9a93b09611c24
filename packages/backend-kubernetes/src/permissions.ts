/**
 * Every Kubernetes API permission Aperture uses, with the reason. One list for three readers: the
 * Role in deploy/rbac/ must grant exactly these, `aperture doctor` checks each with a
 * SelfSubjectAccessReview, and a 403 from the API server is turned into a message naming the
 * missing line.
 */
export interface Permission {
  /** API group; '' is the core group. */
  group: string;
  resource: string;
  /** A subresource such as `log` (for pods/log). */
  subresource?: string;
  verb: string;
  /** `namespace`: in the runs namespace (a Role); `cluster`: cluster-wide (a ClusterRole). */
  scope: 'namespace' | 'cluster';
  /** Needed to run code (fatal when missing) or only by `doctor` (a warning when missing). */
  neededBy: 'runs' | 'doctor';
  why: string;
}

export const RUN_PERMISSIONS: readonly Permission[] = [
  {
    group: 'batch',
    resource: 'jobs',
    verb: 'create',
    scope: 'namespace',
    neededBy: 'runs',
    why: 'one Job per run',
  },
  {
    group: 'batch',
    resource: 'jobs',
    verb: 'delete',
    scope: 'namespace',
    neededBy: 'runs',
    why: 'remove a finished, cancelled or stale run',
  },
  {
    group: 'batch',
    resource: 'jobs',
    verb: 'list',
    scope: 'namespace',
    neededBy: 'runs',
    why: 'the run-state informer on Jobs (initial list); sweep leftovers by label after a restart',
  },
  {
    group: 'batch',
    resource: 'jobs',
    verb: 'watch',
    scope: 'namespace',
    neededBy: 'runs',
    why: 'the run-state informer on Jobs (one watch for all runs)',
  },
  {
    group: '',
    resource: 'secrets',
    verb: 'create',
    scope: 'namespace',
    neededBy: 'runs',
    why: "the run's job file, owned by its Job",
  },
  {
    group: '',
    resource: 'pods',
    verb: 'list',
    scope: 'namespace',
    neededBy: 'runs',
    why: 'the run-state informer (initial list)',
  },
  {
    group: '',
    resource: 'pods',
    verb: 'watch',
    scope: 'namespace',
    neededBy: 'runs',
    why: 'the run-state informer (one watch for all runs)',
  },
  {
    group: '',
    resource: 'pods',
    subresource: 'log',
    verb: 'get',
    scope: 'namespace',
    neededBy: 'runs',
    why: "the harness's framed result",
  },
];

export const DOCTOR_PERMISSIONS: readonly Permission[] = [
  {
    group: '',
    resource: 'namespaces',
    verb: 'get',
    scope: 'cluster',
    neededBy: 'doctor',
    why: "the runs namespace's PodSecurity labels",
  },
  {
    group: '',
    resource: 'nodes',
    verb: 'list',
    scope: 'cluster',
    neededBy: 'doctor',
    why: 'node architectures and readiness',
  },
  {
    group: 'node.k8s.io',
    resource: 'runtimeclasses',
    verb: 'list',
    scope: 'cluster',
    neededBy: 'doctor',
    why: 'RuntimeClasses such as gVisor',
  },
  {
    group: 'storage.k8s.io',
    resource: 'storageclasses',
    verb: 'list',
    scope: 'cluster',
    neededBy: 'doctor',
    why: 'a StorageClass for lab volumes',
  },
  {
    group: 'snapshot.storage.k8s.io',
    resource: 'volumesnapshotclasses',
    verb: 'list',
    scope: 'cluster',
    neededBy: 'doctor',
    why: 'VolumeSnapshots for lab checkpoints',
  },
  {
    group: 'scheduling.k8s.io',
    resource: 'priorityclasses',
    verb: 'list',
    scope: 'cluster',
    neededBy: 'doctor',
    why: "Aperture's PriorityClasses",
  },
  {
    group: 'networking.k8s.io',
    resource: 'networkpolicies',
    verb: 'list',
    scope: 'namespace',
    neededBy: 'doctor',
    why: "the runs namespace's default-deny policy",
  },
];

/** `create jobs.batch`, `get pods/log`: how kubectl and RBAC error messages name a permission. */
export function describePermission(p: Permission): string {
  const resource = p.subresource ? `${p.resource}/${p.subresource}` : p.resource;
  return `${p.verb} ${p.group ? `${resource}.${p.group}` : resource}`;
}

/** The run permission for a verb on a resource, if Aperture uses one. */
export function findRunPermission(
  verb: string,
  resource: string,
  subresource?: string,
): Permission | undefined {
  return RUN_PERMISSIONS.find(
    (p) => p.verb === verb && p.resource === resource && p.subresource === subresource,
  );
}

/** The same, throwing on a typo (for tests, so they stay honest). */
export function permissionOf(verb: string, resource: string, subresource?: string): Permission {
  const found = findRunPermission(verb, resource, subresource);
  if (!found) throw new Error(`no run permission ${verb} ${resource}${subresource ? `/${subresource}` : ''}`);
  return found;
}
