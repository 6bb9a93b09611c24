/**
 * The LabProvisioner on Kubernetes: a namespace per (deployment, student), filled with
 * renderStudentLab's objects by server-side apply (field manager `aperture`) in their order, so
 * the quota and network policies exist before any pod. Nothing is read before writing: applying
 * the same rendering again is a no-op on the server, which makes a re-deploy converge and leaves
 * students already right untouched. Students go through a bounded pool; each object is retried
 * on transient errors, resuming where the student stopped; a student's failure is its own result.
 *
 * API requests: one apply per object (7 for a webserver lab, 8 with storage, 10 for three components with
 * ports), three discovery lookups per process, and lists by label across the cluster for status
 * and teardown (a handful for the whole class, not per student).
 */

import type { Duplex } from 'node:stream';
import {
  type ImageDigests,
  type LabAccess,
  type LabCapabilities,
  type LabDeployReport,
  type LabDeployRequest,
  type LabExecOptions,
  type LabExecResult,
  type LabProgressEvent,
  type LabProvisioner,
  type LabResetRequest,
  type LabSnapshotRequest,
  type LabStatusReport,
  type LabStopRequest,
  type LabStudent,
  type LabTarget,
  type LabTeardownReceipt,
  type LabTerminal,
  type LabTerminalOptions,
  type LabVersionRef,
  type Logger,
  mapLimited,
  type StudentDeployResult,
  ValidationError,
} from '@aperture/core';
import type { KubeConfig, V1Deployment, V1Namespace, V1Pod } from '@kubernetes/client-node';
import { apiMessage, KubernetesPermissionError } from '../api-errors.ts';
import { ApiRequestCounter } from '../api-request-counter.ts';
import { DEFAULT_RETRY, isTransient, RetriesExhausted, type RetryPolicy, retrying } from './concurrency.ts';
import { digestsFromPods } from './image-digests.ts';
import { KubernetesLabAccess } from './kubernetes-lab-access.ts';
import { LabKubernetesApi, STOP_FIELD_MANAGER } from './lab-api.ts';
import { labDeploymentSelector, labInstanceSelector } from './lab-labels.ts';
import { LAB_POD, resourceOfKind } from './lab-permissions.ts';
import { labStatuses } from './lab-status.ts';
import { labNamespaceName } from './names.ts';
import { type LabRenderOptions, type RenderedStudentLab, renderStudentLab } from './render.ts';
import { namespacesGone, teardownDeployment } from './teardown.ts';
import { KUBEVIRT_GROUP, LabVolumeSnapshots, SNAPSHOT_GROUP } from './volume-snapshots.ts';

export interface KubernetesLabProvisionerOptions {
  kubeConfig: KubeConfig;
  render: LabRenderOptions;
  logger: Logger;
  /** Students applied at the same time (default 10). */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  /** How long teardown and reset wait for namespaces to finish terminating (default 120 s). */
  namespaceGoneTimeoutMs?: number;
  pollIntervalMs?: number;
  /** How connect() reaches a lab port (kubernetes-lab-access.ts, LabPodLocator): default port-forward. */
  podNetwork?: 'direct' | 'port-forward';
  /** Checkpoint snapshots of the dev copy's volumes (where the cluster has the snapshot API). */
  volumeSnapshots?: {
    /** Unset: the cluster's default VolumeSnapshotClass. */
    snapshotClassName?: string;
    /** How long a checkpoint waits for each snapshot to be ready (default 5 min). */
    readyTimeoutMs?: number;
  };
}

export const DEFAULT_LAB_CONCURRENCY = 10;

export class KubernetesLabProvisioner implements LabProvisioner, LabAccess {
  readonly name = 'kubernetes';
  readonly requests = new ApiRequestCounter();
  private readonly api: LabKubernetesApi;
  private readonly access: KubernetesLabAccess;
  private readonly snapshots: LabVolumeSnapshots;
  private readonly concurrency: number;
  private readonly retry: RetryPolicy;
  private readonly waits: { namespaceGoneTimeoutMs: number; pollIntervalMs: number };

  private constructor(private readonly options: KubernetesLabProvisionerOptions) {
    this.api = new LabKubernetesApi(options.kubeConfig, this.requests);
    this.access = new KubernetesLabAccess(options.kubeConfig, this.api, this.requests, {
      ...options.render,
      ...(options.podNetwork ? { podNetwork: options.podNetwork } : {}),
    });
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_LAB_CONCURRENCY);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.waits = {
      namespaceGoneTimeoutMs: options.namespaceGoneTimeoutMs ?? 120_000,
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
    };
    this.snapshots = new LabVolumeSnapshots(this.api, {
      instance: options.render.instance,
      namespacePrefix: options.render.namespacePrefix,
      pollIntervalMs: this.waits.pollIntervalMs,
      ...options.volumeSnapshots,
    });
  }

  static fromOptions(options: KubernetesLabProvisionerOptions): KubernetesLabProvisioner {
    return new KubernetesLabProvisioner(options);
  }

  async deploy(request: LabDeployRequest): Promise<LabDeployReport> {
    const started = Date.now();
    checkStudents(request.students);
    // Pure and up front: a template that cannot be rendered is the request's fault, not a student's.
    const labs = request.students.map((student) =>
      this.render(request.deploymentId, request.labVersion, student),
    );
    const results = await mapLimited(request.students, this.concurrency, (student, index) =>
      this.applyStudent(student, labs[index] as RenderedStudentLab, request),
    );
    const succeeded = results.filter((result) => result.ok).length;
    const report = {
      deploymentId: request.deploymentId,
      versionId: request.labVersion.id,
      students: results,
      succeeded,
      failed: results.length - succeeded,
      durationMs: Date.now() - started,
    };
    this.options.logger.info(
      { deploymentId: request.deploymentId, succeeded, failed: report.failed, durationMs: report.durationMs },
      'lab deployed',
    );
    return report;
  }

  async status(deploymentId: string, students?: readonly LabStudent[]): Promise<LabStatusReport> {
    const selector = this.selector(deploymentId);
    const [namespaces, deployments, pods] = await Promise.all([
      this.api.list(resourceOfKind('Namespace'), selector),
      this.api.list(resourceOfKind('Deployment'), selector),
      this.api.list(LAB_POD, selector),
    ]);
    return {
      deploymentId,
      students: labStatuses(
        {
          namespaces: namespaces as V1Namespace[],
          deployments: deployments as V1Deployment[],
          pods: pods as V1Pod[],
        },
        students,
      ),
    };
  }

  /**
   * Deletes the student's namespace, waits until it is gone, and applies the version again. A
   * student's state is their volumes and scratch directories, but deleting only pods and claims
   * races the claims' protection finalizer against the ReplicaSet's new pod; the namespace is
   * the student's whole copy, so deleting it also undoes any drift (an edited quota, an object
   * someone added). Its name is stable, so the proxy's routes to it stay right.
   */
  async reset(request: LabResetRequest): Promise<StudentDeployResult> {
    const lab = this.render(request.deploymentId, request.labVersion, request.student);
    const emit = this.emitter(request.onProgress);
    try {
      await retrying(() => this.api.deleteNamespace(lab.namespace), this.retry);
      const gone = await namespacesGone(
        this.api,
        this.selector(request.deploymentId),
        this.waits,
        `metadata.name=${lab.namespace}`,
      );
      if (!gone)
        throw new Error(
          `namespace ${lab.namespace} was still terminating after ${this.waits.namespaceGoneTimeoutMs / 1000} s`,
        );
      // A restored claim's content is cluster-scoped and bound to the old VolumeSnapshot: made anew.
      const restored = Object.keys(request.labVersion.snapshots ?? {});
      if (restored.length > 0)
        await retrying(() => this.snapshots.deleteStudentContents(lab.namespace, restored), this.retry);
    } catch (error) {
      const failure = failureOf(error instanceof RetriesExhausted ? error.last : error);
      emit({ student: request.student, phase: 'failed', attempt: 1, error: failure.error });
      return { student: request.student, ok: false, environment: lab.namespace, attempts: 1, ...failure };
    }
    return this.applyStudent(request.student, lab, request);
  }

  teardown(deploymentId: string): Promise<LabTeardownReceipt> {
    return teardownDeployment(this.api, deploymentId, this.selector(deploymentId), {
      concurrency: this.concurrency,
      retry: this.retry,
      ...this.waits,
    });
  }

  /**
   * Scales each Deployment of the student's copy to 0 replicas; claims, Services and policies stay.
   * Deploy applies replicas 1 with force and so starts it again (see STOP_FIELD_MANAGER).
   */
  async stop(request: LabStopRequest): Promise<void> {
    const namespace = this.namespaceOf(request.deploymentId, request.student.id);
    const deployments = (await this.api.list(
      resourceOfKind('Deployment'),
      this.selector(request.deploymentId),
      `metadata.namespace=${namespace}`,
    )) as V1Deployment[];
    const running = deployments.filter((deployment) => deployment.spec?.replicas !== 0);
    for (const deployment of running) {
      const scaled = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: deployment.metadata?.name ?? '', namespace },
        spec: { replicas: 0 },
      };
      try {
        await retrying(() => this.api.apply(scaled, STOP_FIELD_MANAGER), this.retry);
      } catch (error) {
        // The API server's reason (a missing permission, say), not the retry loop's wrapper.
        throw error instanceof RetriesExhausted ? error.last : error;
      }
    }
    this.options.logger.info(
      { deploymentId: request.deploymentId, namespace, stopped: running.length },
      'lab environment stopped',
    );
  }

  /** From the container statuses of this installation's running lab pods (image-digests.ts). */
  async resolveImageDigests(images: readonly string[]): Promise<ImageDigests> {
    const unpinned = images.filter((image) => !image.includes('@'));
    const pods =
      unpinned.length === 0
        ? []
        : await this.api.list(
            LAB_POD,
            labInstanceSelector(this.options.render.instance),
            'status.phase=Running',
          );
    return digestsFromPods(images, pods as V1Pod[], this.options.render.imagePrefix);
  }

  /** volume-snapshots.ts: one VolumeSnapshot per claim of the copy, each waited for; null without the API. */
  snapshotVolumes(request: LabSnapshotRequest): Promise<Record<string, string> | null> {
    return this.snapshots.snapshotClaims(request);
  }

  /** From discovery: KubeVirt's group, and the snapshot API with a VolumeSnapshotClass. */
  async capabilities(): Promise<LabCapabilities> {
    const groups = await this.api.servedGroups();
    return {
      kubevirt: groups.has(KUBEVIRT_GROUP),
      volumeSnapshots: await this.snapshots.available(groups.has(SNAPSHOT_GROUP)),
    };
  }

  exec(target: LabTarget, command: readonly string[], options?: LabExecOptions): Promise<LabExecResult> {
    return this.access.run(target, command, options);
  }

  openTerminal(target: LabTarget, options: LabTerminalOptions): Promise<LabTerminal> {
    return this.access.terminal(target, options);
  }

  connect(target: LabTarget, port: number): Promise<Duplex> {
    return this.access.connect(target, port);
  }

  private namespaceOf(deploymentId: string, studentId: string): string {
    return labNamespaceName(this.options.render.namespacePrefix, deploymentId, studentId);
  }

  private render(deploymentId: string, version: LabVersionRef, student: LabStudent): RenderedStudentLab {
    return renderStudentLab(
      {
        deploymentId,
        studentId: student.id,
        template: version.template,
        images: version.images,
        versionId: version.id,
        snapshots: version.snapshots ?? null,
      },
      this.options.render,
    );
  }

  /** All of one student's objects in order; a retry resumes at the object that failed. */
  private async applyStudent(
    student: LabStudent,
    lab: RenderedStudentLab,
    request: Pick<LabDeployRequest, 'onProgress' | 'signal'>,
  ): Promise<StudentDeployResult> {
    const environment = lab.namespace;
    const emit = this.emitter(request.onProgress);
    if (request.signal?.aborted)
      return {
        student,
        ok: false,
        environment,
        attempts: 0,
        error: 'the deploy was cancelled',
        code: 'cancelled',
      };
    emit({ student, phase: 'applying', attempt: 1 });
    let next = 0;
    try {
      const { attempts } = await retrying(
        async () => {
          for (; next < lab.objects.length; next++) await this.api.apply(lab.objects[next]!);
        },
        this.retry,
        {
          onRetry: (attempt, error) =>
            emit({ student, phase: 'applying', attempt, error: describeFailure(lab, next, error) }),
        },
      );
      emit({ student, phase: 'ready', attempt: attempts });
      return { student, ok: true, environment, attempts, objects: lab.objects.length };
    } catch (error) {
      const attempts = error instanceof RetriesExhausted ? error.attempts : 1;
      const last = error instanceof RetriesExhausted ? error.last : error;
      const failure = failureOf(last);
      const message = describeFailure(lab, next, last);
      emit({ student, phase: 'failed', attempt: attempts, error: message });
      this.options.logger.warn(
        { studentId: student.id, namespace: environment, attempts, error: message },
        'lab environment could not be applied',
      );
      return { student, ok: false, environment, attempts, error: message, code: failure.code };
    }
  }

  /** Progress goes to the caller's callback; a callback that throws must not fail the student. */
  private emitter(onProgress: ((event: LabProgressEvent) => void) | undefined) {
    return (event: LabProgressEvent) => {
      try {
        onProgress?.(event);
      } catch (error) {
        this.options.logger.warn({ error: apiMessage(error) }, 'a lab progress listener threw');
      }
    };
  }

  private selector(deploymentId: string): string {
    return labDeploymentSelector(this.options.render.instance, deploymentId);
  }
}

function checkStudents(students: readonly LabStudent[]): void {
  const seen = new Set<string>();
  students.forEach((student, index) => {
    if (seen.has(student.id))
      throw new ValidationError(`student ${student.id} is listed twice`, {
        errors: [{ path: `students[${index}].id`, message: 'listed twice' }],
      });
    seen.add(student.id);
  });
}

/** `NetworkPolicy lab-isolation: <the API server's words>`: which object, and why. */
function describeFailure(lab: RenderedStudentLab, index: number, error: unknown): string {
  const object = lab.objects[index];
  const what = object ? `${object.kind} ${object.metadata?.name}` : lab.namespace;
  return `${what}: ${error instanceof KubernetesPermissionError ? error.message : apiMessage(error)}`;
}

function failureOf(error: unknown): { error: string; code: string } {
  const message = error instanceof KubernetesPermissionError ? error.message : apiMessage(error);
  if (error instanceof KubernetesPermissionError) return { error: message, code: error.code };
  return { error: message, code: isTransient(error) ? 'kubernetes_unavailable' : 'kubernetes_refused' };
}
