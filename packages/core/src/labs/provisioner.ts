/**
 * The LabProvisioner port: gives every student of a deployment an isolated copy of one published
 * lab version, reports each copy's state, resets one, and tears the whole deployment down with a
 * receipt. Kubernetes (a namespace per student) and Podman (a pod and network per student)
 * implement it; core's lab use cases see only this. Everything is per student: one student's
 * failure is that student's result, never an exception for the class.
 */
import type { LabTemplate } from './lab-template.ts';
import type { ImageDigests } from './version.ts';

/** What a deployment runs: a checkpointed version (its id is `labVersionId(template, images)`). */
export interface LabVersionRef {
  id: string;
  template: LabTemplate;
  images: ImageDigests;
  /**
   * Claim name → snapshot reference from the checkpoint (LabProvisioner.snapshotVolumes): a
   * student's claim of that name starts as a copy of it. Unset or null: claims start empty.
   */
  snapshots?: Record<string, string> | null;
}

export interface LabStudent {
  /** Aperture's user id: names the student's environment, so it must not change. */
  id: string;
  /** For people reading events and status; never part of a name. */
  username: string;
}

export type LabProgressPhase = 'applying' | 'ready' | 'failed';

export interface LabProgressEvent {
  student: LabStudent;
  /** `ready`: every object of the student's copy was accepted; pods may still be starting. */
  phase: LabProgressPhase;
  /** 1 for the first try; a retry after a transient error is the next attempt. */
  attempt: number;
  /** Why the previous attempt failed (on a retry) or why this one did (`failed`). */
  error?: string;
}

export interface LabDeployRequest {
  deploymentId: string;
  labVersion: LabVersionRef;
  students: readonly LabStudent[];
  onProgress?: (event: LabProgressEvent) => void;
  /** Students not started when it fires are reported failed; those in flight finish their attempt. */
  signal?: AbortSignal;
}

export type StudentDeployResult =
  | {
      student: LabStudent;
      ok: true;
      /** Where the copy lives (a namespace, a pod name). */
      environment: string;
      attempts: number;
      /** Objects applied (on a converged re-run the backend leaves them as they were). */
      objects: number;
    }
  | {
      student: LabStudent;
      ok: false;
      environment: string;
      attempts: number;
      error: string;
      /** A stable code where the failure has one (`kubernetes_forbidden`, `cancelled`, …). */
      code?: string;
    };

export interface LabDeployReport {
  deploymentId: string;
  versionId: string;
  /** In the order of the request's students. */
  students: StudentDeployResult[];
  succeeded: number;
  failed: number;
  durationMs: number;
}

export type StudentLabState =
  /** Every component has its replicas ready. */
  | 'ready'
  /** Objects exist, some component is not ready yet and nothing says it cannot become so. */
  | 'starting'
  /** A component cannot start by itself (image missing, quota, crash loop): see `message`. */
  | 'failed'
  /** Stopped (idle stop): no process runs, the volumes are kept; a deploy starts it again. */
  | 'stopped'
  /** Being deleted (teardown or reset in progress). */
  | 'terminating'
  /** Asked for but nothing of it exists. */
  | 'missing';

export interface LabComponentStatus {
  name: string;
  desired: number;
  ready: number;
  available: number;
  /** Readable reason when not ready: `ImagePullBackOff: …`, `not scheduled: …`. */
  message?: string;
}

export interface StudentLabStatus {
  /** The username is known only when the caller named the students. */
  student: Pick<LabStudent, 'id'> & Partial<Pick<LabStudent, 'username'>>;
  state: StudentLabState;
  environment: string;
  /** The version the copy was deployed with, as recorded on it. */
  versionId?: string;
  components: LabComponentStatus[];
  message?: string;
}

export interface LabStatusReport {
  deploymentId: string;
  students: StudentLabStatus[];
}

export interface LabResetRequest {
  deploymentId: string;
  /** The published version to return to (the provisioner keeps no state of its own). */
  labVersion: LabVersionRef;
  student: LabStudent;
  onProgress?: (event: LabProgressEvent) => void;
}

export interface LabStopRequest {
  deploymentId: string;
  student: LabStudent;
}

export interface LabSnapshotRequest {
  /** The deployment whose copy is snapshotted (the lab's `dev`). */
  deploymentId: string;
  student: LabStudent;
  /** The version the snapshots belong to: names and labels them. */
  versionId: string;
}

/** What the engine under the provisioner offers labs, for the UI to show only what works. */
export interface LabCapabilities {
  /** VM components (KubeVirt's API is there). */
  kubevirt: boolean;
  /** Checkpoints snapshot the dev copy's volumes (the snapshot API and a VolumeSnapshotClass are there). */
  volumeSnapshots: boolean;
}

export interface LabObjectRef {
  kind: string;
  /** Unset for cluster-scoped objects (a Namespace). */
  namespace?: string;
  name: string;
}

export interface LabTeardownReceipt {
  deploymentId: string;
  /** Everything of the deployment that existed and was deleted, directly or with its namespace. */
  deleted: LabObjectRef[];
  /** A search by label after the deletion found nothing left. */
  verified: boolean;
  /** What the search found (empty when verified). */
  remaining: LabObjectRef[];
  /** Deletions that failed for good (a missing permission, say); what they left is in `remaining`. */
  errors: string[];
  durationMs: number;
}

export interface LabProvisioner {
  readonly name: string;
  /** Idempotent: re-running converges, and changes nothing for students already right. */
  deploy(request: LabDeployRequest): Promise<LabDeployReport>;
  /** From the backend itself, not from what Aperture remembers; `students` adds those missing. */
  status(deploymentId: string, students?: readonly LabStudent[]): Promise<LabStatusReport>;
  /** That student's copy back to the version as published: their files and changes are gone. */
  reset(request: LabResetRequest): Promise<StudentDeployResult>;
  teardown(deploymentId: string): Promise<LabTeardownReceipt>;
  /**
   * Idle stop: the student's processes end, their volumes and scratch state stay; `deploy` of that
   * student (same version) starts the copy again. Stopping a copy that is stopped or missing is a no-op.
   */
  stop(request: LabStopRequest): Promise<void>;
  /**
   * The digest (`sha256:…`) of every image named, as the engine would run it now, for a checkpoint.
   * An image the engine cannot resolve is a ValidationError naming it.
   */
  resolveImageDigests(images: readonly string[]): Promise<ImageDigests>;
  /**
   * Optional (Kubernetes only; Podman has none): a snapshot of every volume claim of that
   * student's copy, for a checkpoint. Resolves once each is ready to use, to claim name → snapshot
   * reference (what `LabVersionRef.snapshots` hands back to deploy); null when this engine or
   * cluster cannot snapshot. A snapshot that fails or is not ready in time is an error naming its claim.
   */
  snapshotVolumes?(request: LabSnapshotRequest): Promise<Record<string, string> | null>;
  /** Optional: what the engine offers; a provisioner without it offers neither. */
  capabilities?(): Promise<LabCapabilities>;
}
