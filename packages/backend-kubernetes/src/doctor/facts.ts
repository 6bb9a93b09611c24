import type {
  V1Namespace,
  V1NetworkPolicy,
  V1Node,
  V1ObjectMeta,
  V1Pod,
  V1PriorityClass,
  V1ResourceAttributes,
  V1RuntimeClass,
  V1StorageClass,
  VersionInfo,
} from '@kubernetes/client-node';
import { LABEL_COMPONENT, LABEL_MANAGED } from '../labels.ts';
import type { Permission } from '../permissions.ts';
import type { Probe } from './failures.ts';

/**
 * Everything `aperture doctor` asks the cluster, as answers or the reason there is none. Gathered
 * by gather.ts (the only I/O), judged by evaluate.ts (pure), so each verdict is testable offline.
 */
export interface ClusterFacts {
  server: string;
  context: string;
  namespace: string;
  priorityClassNames: PriorityClassNames;
  version: Probe<VersionInfo>;
  /** Only asked once the API server has answered. */
  cluster?: ReachableFacts;
}

export interface ReachableFacts {
  runsNamespace: Probe<V1Namespace>;
  runAccess: Probe<AccessResult[]>;
  doctorAccess: Probe<AccessResult[]>;
  /** LAB_PERMISSIONS, cluster-wide (labs only: runs work without them). */
  labAccess: Probe<AccessResult[]>;
  /** Pods in CNI_NAMESPACES (often not readable with Aperture's own account: then nodes only). */
  cniPods: Probe<V1Pod[]>;
  nodes: Probe<V1Node[]>;
  networkPolicies: Probe<V1NetworkPolicy[]>;
  podSecurity: Probe<PodSecurityFacts>;
  runtimeClasses: Probe<V1RuntimeClass[]>;
  storageClasses: Probe<V1StorageClass[]>;
  snapshotClasses: Probe<VolumeSnapshotClass[]>;
  priorityClasses: Probe<V1PriorityClass[]>;
  runIsolation: Probe<RunIsolationFacts>;
}

/** What doctor knows of run pods' isolated engine (ADR 0006, deploy/seccomp/). */
export interface RunIsolationFacts {
  /** The Localhost seccomp profile runs are configured with; none: the plain mode. */
  profile?: string;
  /**
   * A server-side dry run of a pod with that profile (PodSecurity `restricted` admits Localhost
   * profiles; another admission policy may not). `tried: false`: no profile, or may not create pods.
   */
  admission: { tried: false } | { tried: true; result: Admission };
  /** The opt-in probe on a node; absent when not asked for (or no profile to probe). */
  probe?: IsolationProbeResult;
}

/** How far the probe pod got: ran runlimit --isolate --userns to the end, or where it stopped. */
export type IsolationProbeResult =
  | { ok: true; node: string; seconds: number }
  | {
      ok: false;
      /** scheduled: no node took it; started: its container never ran; ran: runlimit failed. */
      stage: 'created' | 'scheduled' | 'started' | 'ran';
      message: string;
      node?: string;
      /** The container's waiting reason, when it never started (CreateContainerError, …). */
      reason?: string;
    };

/** snapshot.storage.k8s.io/v1 VolumeSnapshotClass: a CRD, so client-node has no model for it. */
export interface VolumeSnapshotClass {
  metadata?: V1ObjectMeta;
  driver?: string;
}

export interface AccessResult {
  permission: Permission;
  allowed: boolean;
  reason?: string;
}

export interface PriorityClassNames {
  platform: string;
  labs: string;
  runs: string;
}

export const DEFAULT_PRIORITY_CLASSES: PriorityClassNames = {
  platform: 'aperture-platform',
  labs: 'aperture-labs',
  runs: 'aperture-runs',
};

export type Admission = { admitted: true } | { admitted: false; status: number; message: string };

/**
 * Server-side dry runs of three pods: privileged (refused by baseline and restricted), root without
 * a seccomp profile (refused by restricted only) and a restricted-compliant one (the control: if
 * it is refused too, something other than PodSecurity is saying no). `tried: false`: these
 * credentials may not create pods, not even as a dry run.
 */
export type PodSecurityFacts =
  | { tried: false }
  | { tried: true; privileged: Admission; root: Admission; compliant: Admission };

/** The SelfSubjectAccessReview question for one permission. */
export function accessAttributes(permission: Permission, namespace: string): V1ResourceAttributes {
  return {
    verb: permission.verb,
    group: permission.group,
    resource: permission.resource,
    ...(permission.subresource ? { subresource: permission.subresource } : {}),
    ...(permission.scope === 'namespace' ? { namespace } : {}),
  };
}

export const CREATE_PODS: Permission = {
  group: '',
  resource: 'pods',
  verb: 'create',
  scope: 'namespace',
  neededBy: 'doctor',
  why: 'the PodSecurity dry run (only when the credentials allow it)',
};

type ProbePodKind = 'privileged' | 'root' | 'compliant';

/** The pods of the PodSecurity dry run; never stored (dryRun=All). */
export function probePod(kind: ProbePodKind): V1Pod {
  const compliant = kind === 'compliant';
  return {
    metadata: {
      generateName: `aperture-doctor-${kind}-`,
      labels: { [LABEL_MANAGED]: 'true', [LABEL_COMPONENT]: 'doctor' },
    },
    spec: {
      automountServiceAccountToken: false,
      ...(compliant
        ? {
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65534,
              seccompProfile: { type: 'RuntimeDefault' },
            },
          }
        : {}),
      containers: [
        {
          name: 'probe',
          image: 'registry.k8s.io/pause:3.10',
          resources: { limits: { cpu: '10m', memory: '16Mi' }, requests: { cpu: '10m', memory: '16Mi' } },
          ...(kind === 'privileged' ? { securityContext: { privileged: true } } : {}),
          ...(compliant
            ? { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }
            : {}),
        },
      ],
    },
  };
}
