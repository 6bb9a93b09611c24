/**
 * The workloads of a student's lab: per component one Deployment (one replica) and, when it has
 * ports, a Service of the same name (so `db:5432` works inside the lab); per volume one claim.
 * Pods are hardened as PodSecurity `restricted` demands and beyond: non-root, read-only root
 * filesystem with scratch directories where the image must write, no capabilities, RuntimeDefault
 * seccomp, no service-account token, requests = limits.
 */
import {
  type ComponentShare,
  DEFAULT_RUN_AS_USER,
  formatByteQuantity,
  formatCpu,
  type ImageDigests,
  type LabComponent,
  SCRATCH_PATH,
} from '@aperture/core';
import type {
  V1Container,
  V1Deployment,
  V1PersistentVolumeClaim,
  V1Service,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { hardenedContainerSecurityContext } from '../pod-hardening.ts';
import { LABEL_LAB_COMPONENT } from './lab-labels.ts';
import { claimName } from './names.ts';

export interface LabWorkloadOptions {
  /** Prepended to Aperture's own lab images (`aperture/…`) only, e.g. `registry.example.edu/`. */
  imagePrefix: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** Unset: the cluster's default StorageClass. */
  storageClassName: string | undefined;
  priorityClassName: string | undefined;
  /** e.g. `gvisor` for labs whose students get a shell: containers alone are no strong boundary. */
  runtimeClassName: string | undefined;
  nodeSelector: Readonly<Record<string, string>>;
  tolerations: readonly V1Toleration[];
}

/** Scratch directories are node disk; capped so one student cannot fill it. */
export const SCRATCH_SIZE_LIMIT = '1Gi';
/** Short: a reset or rollout waits for the old pod (the quota has room for one pod per component). */
const TERMINATION_GRACE_SECONDS = 5;

export interface WorkloadInput {
  namespace: string;
  labels: Record<string, string>;
  component: LabComponent;
  share: ComponentShare;
  images: ImageDigests;
}

export function renderClaims(input: WorkloadInput, options: LabWorkloadOptions): V1PersistentVolumeClaim[] {
  return (input.component.volumes ?? []).map((volume) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(input.component.name, volume.name),
      namespace: input.namespace,
      labels: input.labels,
    },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: volume.size } },
      ...(options.storageClassName ? { storageClassName: options.storageClassName } : {}),
    },
  }));
}

export function renderService(input: WorkloadInput): V1Service | undefined {
  const ports = containerPorts(input.component);
  if (ports.length === 0) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: input.component.name, namespace: input.namespace, labels: input.labels },
    spec: {
      type: 'ClusterIP',
      selector: { [LABEL_LAB_COMPONENT]: input.component.name },
      ports: ports.map((port) => ({
        name: port.name,
        port: port.containerPort,
        targetPort: port.name,
        protocol: port.protocol,
      })),
    },
  };
}

export function renderDeployment(input: WorkloadInput, options: LabWorkloadOptions): V1Deployment {
  const { component } = input;
  const podLabels = { ...input.labels, [LABEL_LAB_COMPONENT]: component.name };
  const uid = component.runAsUser ?? DEFAULT_RUN_AS_USER;
  const mounts = podVolumes(component);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: component.name, namespace: input.namespace, labels: podLabels },
    spec: {
      replicas: 1,
      // The quota holds one pod per component, and a RWO volume follows one pod at a time.
      strategy: { type: 'Recreate' },
      // Old ReplicaSets are objects × students in etcd, and a lab version is never rolled back in place.
      revisionHistoryLimit: 1,
      selector: { matchLabels: { [LABEL_LAB_COMPONENT]: component.name } },
      template: {
        metadata: { labels: podLabels },
        spec: {
          automountServiceAccountToken: false,
          // Service env variables would leak the names of the lab's services and grow with them.
          enableServiceLinks: false,
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
          ...(options.priorityClassName ? { priorityClassName: options.priorityClassName } : {}),
          ...(options.runtimeClassName ? { runtimeClassName: options.runtimeClassName } : {}),
          ...(Object.keys(options.nodeSelector).length > 0
            ? { nodeSelector: { ...options.nodeSelector } }
            : {}),
          ...(options.tolerations.length > 0 ? { tolerations: [...options.tolerations] } : {}),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: uid,
            runAsGroup: uid,
            // Volumes and scratch directories become writable for the component's group.
            fsGroup: uid,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [container(input, options, mounts.mounts)],
          volumes: mounts.volumes,
        },
      },
    },
  };
}

function container(
  input: WorkloadInput,
  options: LabWorkloadOptions,
  volumeMounts: V1VolumeMount[],
): V1Container {
  const { component, share } = input;
  const resources = { cpu: formatCpu(share.cpuMillicores), memory: formatByteQuantity(share.memoryBytes) };
  const ports = containerPorts(component);
  return {
    name: component.name,
    image: imageReference(component.image, options.imagePrefix, input.images),
    imagePullPolicy: options.imagePullPolicy,
    ...(component.command ? { command: [...component.command] } : {}),
    ...(component.args ? { args: [...component.args] } : {}),
    ...(component.env ? { env: component.env.map((variable) => ({ ...variable })) } : {}),
    ...(ports.length > 0 ? { ports } : {}),
    resources: { requests: resources, limits: { ...resources } },
    securityContext: hardenedContainerSecurityContext(),
    volumeMounts,
  };
}

/** /tmp and each writable path get an emptyDir; each volume its claim. Names by position: ≤ 63. */
function podVolumes(component: LabComponent): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  const scratch = [SCRATCH_PATH, ...(component.writablePaths ?? [])].map((mountPath, index) => ({
    name: index === 0 ? 'tmp' : `scratch-${index}`,
    mountPath,
  }));
  const claims = (component.volumes ?? []).map((volume, index) => ({
    name: `volume-${index}`,
    mountPath: volume.mountPath,
    claim: claimName(component.name, volume.name),
  }));
  return {
    volumes: [
      ...scratch.map(({ name }) => ({ name, emptyDir: { sizeLimit: SCRATCH_SIZE_LIMIT } })),
      ...claims.map(({ name, claim }) => ({ name, persistentVolumeClaim: { claimName: claim } })),
    ],
    mounts: [...scratch, ...claims].map(({ name, mountPath }) => ({ name, mountPath })),
  };
}

function containerPorts(component: LabComponent) {
  return [
    ...(component.ports ?? []).map((port) => ({
      name: port.name,
      containerPort: port.port,
      protocol: port.protocol,
    })),
    ...(component.vnc ? [{ name: 'vnc', containerPort: component.vnc.port, protocol: 'TCP' as const }] : []),
  ];
}

/**
 * What the kubelet pulls. Aperture's own images get the registry prefix; an image checkpointed
 * with a digest is pinned to it (`name:tag@sha256:…`), so every student runs the same bytes even
 * if the tag moves.
 */
export function imageReference(image: string, prefix: string, digests: ImageDigests): string {
  const located = image.startsWith('aperture/') ? `${prefix}${image}` : image;
  const digest = digests[image];
  return digest && !image.includes('@') ? `${located}@${digest}` : located;
}
