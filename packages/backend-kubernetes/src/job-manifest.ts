import { createHash } from 'node:crypto';
import type { SandboxSpec } from '@aperture/core';
import type {
  V1Affinity,
  V1EnvVar,
  V1Job,
  V1SeccompProfile,
  V1Secret,
  V1Toleration,
} from '@kubernetes/client-node';
import {
  ANNOTATION_DEADLINE,
  LABEL_ATTEMPT,
  LABEL_COMPONENT,
  LABEL_INSTANCE,
  LABEL_MANAGED,
  LABEL_MANAGED_BY,
  LABEL_NETWORK,
  LABEL_RUN,
} from './labels.ts';
import { hardenedContainerSecurityContext } from './pod-hardening.ts';

/** How runs are placed and hardened in one cluster; everything but the run itself. */
export interface RunPodOptions {
  namespace: string;
  instance: string;
  /** Prepended to the language's image (`aperture/runner-python`), e.g. `registry.example.edu/`. */
  imagePrefix: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  priorityClassName: string | undefined;
  /** e.g. `gvisor`; unset runs use the cluster's default runtime. */
  runtimeClassName: string | undefined;
  /** CPU architectures an image was built for (`kubernetes.io/arch` values), by image name. */
  imageArchitectures: Readonly<Record<string, readonly string[]>>;
  /** For images not in imageArchitectures. */
  defaultArchitectures: readonly string[];
  /** Extra node labels every run pod needs (e.g. a dedicated runner pool). */
  nodeSelector: Readonly<Record<string, string>>;
  tolerations: readonly V1Toleration[];
  /** How long a finished Job stays (a backstop: the executor deletes it as soon as it has the result). */
  ttlSecondsAfterFinished: number;
  /**
   * The isolated engine (ADR 0006): a `Localhost` seccomp profile installed on every runner node
   * (`aperture/runner.json` = `<kubelet root>/seccomp/aperture/runner.json`, deploy/seccomp/) that
   * lets runlimit make a user namespace and the others per execution. Unset: RuntimeDefault, and
   * the harness shares its uid and PID namespace with the student's programs.
   */
  runSeccompProfile?: string | undefined;
}

export const SANDBOX_CONTAINER = 'sandbox';
export const JOB_FILE_DIR = '/var/run/aperture';
export const JOB_FILE_KEY = 'job';
const SANDBOX_UID = 1000;
const TMP_BYTES = 16 * 1024 * 1024;
/** activeDeadlineSeconds is only a backstop for when Aperture is gone; it also counts pod start-up. */
const ACTIVE_DEADLINE_SLACK_S = 60;
/** After this, the sweeper removes a run object even if nothing else did. */
export const SWEEP_GRACE_MS = 2 * 60_000;
/** A Secret (and so a job) may hold at most 1 MiB. */
export const MAX_SECRET_BYTES = 1024 * 1024;
/** What the harness reads to run every execution in namespaces of its own, without capabilities. */
export const ISOLATE_USERNS_ENV: V1EnvVar = { name: 'APERTURE_ISOLATE', value: 'userns' };

/** The run pod's seccomp profile: the Localhost one of the isolated engine, else RuntimeDefault. */
export function runSeccompProfile(localhostProfile: string | undefined): V1SeccompProfile {
  return localhostProfile ? { type: 'Localhost', localhostProfile } : { type: 'RuntimeDefault' };
}

export interface RunObjectsInput {
  runId: string;
  attempt: number;
  sandbox: SandboxSpec;
  /** The sealed job (packages/harness/src/sealed-job.ts) and its key. */
  sealedJob: string;
  jobKey: string;
  now: Date;
}

/**
 * Kubernetes names: lowercase alphanumerics and '-', at most 63 characters (the Job name becomes a
 * pod label value). The readable part is the run id, cut to fit; a short hash of the exact id keeps
 * names unique whatever the id's case or punctuation.
 */
export function jobNameFor(runId: string, attempt: number): string {
  const readable = runId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  const hash = createHash('sha256').update(runId).digest('hex').slice(0, 8);
  return ['run', readable, hash, String(attempt)].filter(Boolean).join('-');
}

/** A label value: at most 63 of [A-Za-z0-9_.-], starting and ending alphanumeric. */
export function labelValue(value: string): string {
  const clean = value.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 63);
  return clean.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'x';
}

export function runLabels(options: RunPodOptions, runId: string, attempt: number): Record<string, string> {
  return {
    [LABEL_MANAGED]: 'true',
    [LABEL_MANAGED_BY]: 'aperture',
    [LABEL_COMPONENT]: 'run',
    [LABEL_INSTANCE]: options.instance,
    [LABEL_RUN]: labelValue(runId),
    [LABEL_ATTEMPT]: String(attempt),
  };
}

export function imageRef(prefix: string, image: string): string {
  return image.includes(':') ? `${prefix}${image}` : `${prefix}${image}:latest`;
}

/**
 * The Job of one run attempt: the hardened pod of DESIGN.md. Pure, so every hardening field is
 * unit-tested, and the real API server (with PodSecurity `restricted`) admits it in the k8s suite.
 */
export function renderRunJob(options: RunPodOptions, input: RunObjectsInput): V1Job {
  const { sandbox } = input;
  const name = jobNameFor(input.runId, input.attempt);
  const labels = runLabels(options, input.runId, input.attempt);
  const podLabels = sandbox.network ? { ...labels, [LABEL_NETWORK]: 'true' } : labels;
  const deadline = new Date(input.now.getTime() + sandbox.deadlineMs + SWEEP_GRACE_MS).toISOString();
  const limits = {
    cpu: String(sandbox.cpus),
    memory: String(sandbox.memoryBytes),
  };
  const memoryDir = (volume: string, bytes: number) => ({
    name: volume,
    emptyDir: { medium: 'Memory', sizeLimit: String(bytes) },
  });
  const architectures = options.imageArchitectures[sandbox.image] ?? options.defaultArchitectures;
  const placement = architecturePlacement(architectures, options.nodeSelector);
  const seccompProfile = runSeccompProfile(options.runSeccompProfile);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: options.namespace,
      labels,
      annotations: { [ANNOTATION_DEADLINE]: deadline },
    },
    spec: {
      backoffLimit: 0,
      // A retry is a new attempt decided by the dispatcher, never a silent re-run by the Job.
      activeDeadlineSeconds: Math.ceil(sandbox.deadlineMs / 1000) + ACTIVE_DEADLINE_SLACK_S,
      ttlSecondsAfterFinished: options.ttlSecondsAfterFinished,
      template: {
        metadata: { labels: podLabels, annotations: { [ANNOTATION_DEADLINE]: deadline } },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          hostname: 'sandbox',
          terminationGracePeriodSeconds: 1,
          ...(options.priorityClassName ? { priorityClassName: options.priorityClassName } : {}),
          ...(options.runtimeClassName ? { runtimeClassName: options.runtimeClassName } : {}),
          ...placement,
          ...(options.tolerations.length > 0 ? { tolerations: [...options.tolerations] } : {}),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: SANDBOX_UID,
            runAsGroup: SANDBOX_UID,
            // The job file (root-owned in the Secret volume) becomes readable through the group.
            fsGroup: SANDBOX_UID,
            seccompProfile,
          },
          containers: [
            {
              name: SANDBOX_CONTAINER,
              image: imageRef(options.imagePrefix, sandbox.image),
              imagePullPolicy: options.imagePullPolicy,
              env: [
                { name: 'APERTURE_JOB_FILE', value: `${JOB_FILE_DIR}/${JOB_FILE_KEY}` },
                { name: 'APERTURE_JOB_KEY', value: input.jobKey },
                ...(options.runSeccompProfile ? [ISOLATE_USERNS_ENV] : []),
              ],
              resources: { requests: limits, limits },
              // The container's profile wins over the pod's: both name the same one.
              securityContext: { ...hardenedContainerSecurityContext(), seccompProfile },
              workingDir: '/work',
              volumeMounts: [
                { name: 'job', mountPath: JOB_FILE_DIR, readOnly: true },
                { name: 'work', mountPath: '/work' },
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'autograder', mountPath: '/autograder' },
              ],
            },
          ],
          volumes: [
            {
              name: 'job',
              secret: {
                secretName: name,
                items: [{ key: JOB_FILE_KEY, path: JOB_FILE_KEY }],
                defaultMode: 0o440,
              },
            },
            memoryDir('work', sandbox.workDirBytes),
            memoryDir('tmp', TMP_BYTES),
            memoryDir('autograder', sandbox.workDirBytes),
          ],
        },
      },
    },
  };
}

/** The Secret with the sealed job, owned by its Job so the garbage collector removes it with it. */
export function renderJobSecret(
  options: RunPodOptions,
  input: RunObjectsInput,
  owner: { name: string; uid: string },
): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: owner.name,
      namespace: options.namespace,
      labels: runLabels(options, input.runId, input.attempt),
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'Job', name: owner.name, uid: owner.uid, controller: false },
      ],
    },
    immutable: true,
    stringData: { [JOB_FILE_KEY]: input.sealedJob },
  };
}

/**
 * Where a pod of an image built for these architectures may run, besides the extra node labels:
 * one architecture is a plain nodeSelector; several (a multi-arch image) a node affinity.
 */
export function architecturePlacement(
  architectures: readonly string[],
  nodeSelector: Readonly<Record<string, string>>,
): { nodeSelector?: Record<string, string>; affinity?: V1Affinity } {
  const selector =
    architectures.length === 1
      ? { ...nodeSelector, 'kubernetes.io/arch': architectures[0]! }
      : { ...nodeSelector };
  return {
    ...(Object.keys(selector).length > 0 ? { nodeSelector: selector } : {}),
    ...(architectures.length > 1 ? { affinity: architectureAffinity(architectures) } : {}),
  };
}

function architectureAffinity(architectures: readonly string[]): V1Affinity {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: [...architectures] }] },
        ],
      },
    },
  };
}

/** Node's `process.arch` as Kubernetes names it. */
export function kubernetesArch(nodeArch: string): string {
  return (
    (
      { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>
    )[nodeArch] ?? nodeArch
  );
}
