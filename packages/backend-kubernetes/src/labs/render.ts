/**
 * Renders one student's copy of a lab as Kubernetes objects, pure: the same input always gives
 * the same objects, so applying them (server-side apply) is idempotent and a provisioner can
 * render, diff and apply without reading the cluster first. The objects come in apply order:
 * the namespace, then what limits and isolates it, then storage, then what runs — so no pod of
 * a lab ever exists without its quota and network policies.
 */
import {
  allocateLabResources,
  checkLabTemplate,
  type ImageDigests,
  type LabTemplate,
  ValidationError,
} from '@aperture/core';
import type {
  V1Deployment,
  V1LimitRange,
  V1Namespace,
  V1NetworkPolicy,
  V1PersistentVolumeClaim,
  V1ResourceQuota,
  V1Service,
} from '@kubernetes/client-node';
import { renderLimitRange, renderResourceQuota } from './budget-objects.ts';
import {
  ANNOTATION_DEPLOYMENT_ID,
  ANNOTATION_LAB_VERSION,
  ANNOTATION_STUDENT_ID,
  type LabIdentity,
  labLabels,
} from './lab-labels.ts';
import { labNamespaceName } from './names.ts';
import { type LabNetworkOptions, renderNetworkPolicies } from './network-policies.ts';
import {
  renderSnapshotRestore,
  type VolumeSnapshot,
  type VolumeSnapshotContent,
} from './volume-snapshots.ts';
import { type LabWorkloadOptions, renderClaims, renderDeployment, renderService } from './workloads.ts';

export type LabObject =
  | V1Namespace
  | V1ResourceQuota
  | V1LimitRange
  | V1NetworkPolicy
  | VolumeSnapshotContent
  | VolumeSnapshot
  | V1PersistentVolumeClaim
  | V1Service
  | V1Deployment;

export interface LabRenderOptions extends LabNetworkOptions, LabWorkloadOptions {
  /** First part of every lab namespace's name, e.g. `lab`. */
  namespacePrefix: string;
  /** Which Aperture installation owns the objects (dev.aperture.instance). */
  instance: string;
}

export interface StudentLabInput {
  deploymentId: string;
  studentId: string;
  template: LabTemplate;
  /** Image → digest from the checkpoint; images without one run as the template names them. */
  images?: ImageDigests;
  /** The version id, recorded on the namespace so an operator sees what a student runs. */
  versionId?: string;
  /** Claim name → snapshot reference from the checkpoint: that claim starts as a copy of it. */
  snapshots?: Readonly<Record<string, string>> | null;
}

export interface RenderedStudentLab {
  namespace: string;
  objects: LabObject[];
}

const PODSECURITY_RESTRICTED: Record<string, string> = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
  'pod-security.kubernetes.io/audit': 'restricted',
  'pod-security.kubernetes.io/warn': 'restricted',
};

export function renderStudentLab(input: StudentLabInput, options: LabRenderOptions): RenderedStudentLab {
  const { template } = input;
  const shares = sharesOf(template);
  const namespace = labNamespaceName(options.namespacePrefix, input.deploymentId, input.studentId);
  const identity: LabIdentity = {
    instance: options.instance,
    deploymentId: input.deploymentId,
    studentId: input.studentId,
    labName: template.metadata.name,
  };
  const labels = labLabels(identity);
  const workloads = template.spec.components.map((component, index) => ({
    namespace,
    labels,
    component,
    share: shares[index]!,
    images: input.images ?? {},
  }));
  const objects: LabObject[] = [
    renderNamespace(namespace, labels, input),
    renderResourceQuota(namespace, labels, template),
    renderLimitRange(namespace, labels, template),
    ...renderNetworkPolicies(namespace, labels, options),
    ...withSnapshots(
      namespace,
      labels,
      workloads.flatMap((workload) => renderClaims(workload, options)),
      input.snapshots ?? {},
    ),
    ...workloads.flatMap((workload) => renderService(workload) ?? []),
    ...workloads.map((workload) => renderDeployment(workload, options)),
  ];
  return { namespace, objects };
}

/**
 * A claim the checkpoint snapshotted is restored from it: its VolumeSnapshotContent and
 * VolumeSnapshot come first (volume-snapshots.ts), then the claim with that `dataSource`.
 */
function withSnapshots(
  namespace: string,
  labels: Record<string, string>,
  claims: V1PersistentVolumeClaim[],
  snapshots: Readonly<Record<string, string>>,
): LabObject[] {
  const restores: LabObject[] = [];
  const restored = claims.map((claim) => {
    const reference = snapshots[claim.metadata?.name ?? ''];
    if (!reference || !claim.spec) return claim;
    const restore = renderSnapshotRestore(namespace, labels, claim.metadata?.name ?? '', reference);
    restores.push(...restore.objects);
    return { ...claim, spec: { ...claim.spec, dataSource: restore.dataSource } };
  });
  return [...restores, ...restored];
}

function renderNamespace(name: string, labels: Record<string, string>, input: StudentLabInput): V1Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: { ...labels, ...PODSECURITY_RESTRICTED },
      annotations: {
        [ANNOTATION_DEPLOYMENT_ID]: input.deploymentId,
        [ANNOTATION_STUDENT_ID]: input.studentId,
        ...(input.versionId ? { [ANNOTATION_LAB_VERSION]: input.versionId } : {}),
      },
    },
  };
}

/**
 * Rendering trusts nothing it is given: a template that would not pass the checks, or that needs
 * what is not built yet (VMs), is refused here rather than half-applied to a cluster.
 */
function sharesOf(template: LabTemplate) {
  const problems = checkLabTemplate(template);
  if (problems.length > 0) {
    throw new ValidationError(`lab template ${template.metadata.name} is not valid`, { errors: problems });
  }
  const vm = template.spec.components.findIndex((component) => component.kind === 'vm');
  if (vm >= 0) {
    throw new ValidationError(
      `component ${template.spec.components[vm]?.name} is a vm: VM components (KubeVirt) cannot be deployed yet`,
      {
        errors: [
          { path: `spec.components[${vm}].kind`, message: 'kind: vm is not supported on Kubernetes yet' },
        ],
      },
    );
  }
  const allocation = allocateLabResources(template.spec);
  if (!allocation.ok)
    throw new ValidationError('the lab does not fit its budget', { errors: allocation.errors });
  return allocation.shares;
}
