/**
 * What Aperture records about labs. The engine (Kubernetes, Podman) holds what runs; the store
 * holds what was asked for and what was last seen, so a restart resumes every deployment in a
 * true state: a deployment still `deploying` is deployed again (idempotent), a student copy
 * still `resetting` is reset again.
 */
import type { Timestamp } from '../domain/entities.ts';
import type { LabTemplate } from './lab-template.ts';
import type { ImageDigests } from './version.ts';

/** A course's lab: its name and the instructor's dev template (which changes until checkpointed). */
export interface Lab {
  /** `lab_…` */
  id: string;
  courseId: string;
  /** `metadata.name` of the template when created; unique in the course. */
  name: string;
  devTemplate: LabTemplate;
  createdBy: string;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

/**
 * A checkpoint: immutable template + image digests; id = `labVersionId(template, images)`.
 * `draft` → `checking` → `published` | `check_failed` (a failed one may be checked again).
 */
export type LabVersionState = 'draft' | 'checking' | 'published' | 'check_failed';

export interface LabCheckResult {
  /** Index into `template.spec.checks`. */
  index: number;
  component: string;
  kind: 'http' | 'tcp' | 'exec';
  ok: boolean;
  /** `GET web:8080/ → 200`, `exit 1: pg_isready: no response`. */
  message: string;
  durationMs: number;
}

export interface LabVersion {
  /** `sha256:…`; the same content in another lab has the same id, so the key is (labId, id). */
  id: string;
  labId: string;
  template: LabTemplate;
  images: ImageDigests;
  state: LabVersionState;
  checkResults: LabCheckResult[] | null;
  /** Set when the copy's volumes were snapshotted (Kubernetes with a VolumeSnapshotClass). */
  snapshots: Record<string, string> | null;
  createdBy: string;
  createdAt: Timestamp;
  checkedAt: Timestamp | null;
  publishedAt: Timestamp | null;
}

/**
 * `dev`: the instructor's own environment of the lab's dev template (one student: the
 * instructor). `check`: the throw-away copy publish runs the checks in. `course`: a published
 * version for every enrolled student (and those enrolled later).
 */
export type LabDeploymentKind = 'dev' | 'check' | 'course';

/** `deploying` until every student was applied once; `destroying` until the receipt is in. */
export type LabDeploymentState = 'deploying' | 'active' | 'destroying' | 'destroyed';

/**
 * The last teardown's receipt. While it is not `verified` the deployment stays `destroying` and the
 * reconciler tries again (backing off); `attempts` counts the tries, `deleted` adds them up.
 */
export interface LabTeardownSummary {
  deleted: number;
  verified: boolean;
  remaining: string[];
  errors: string[];
  durationMs: number;
  /** Absent in receipts recorded before retries existed (one try). */
  attempts?: number;
}

export interface LabDeployment {
  /** `ldp_…`: names the engine's objects, so it never changes. */
  id: string;
  labId: string;
  courseId: string;
  kind: LabDeploymentKind;
  /** The version deployed; null for `dev` (which runs `Lab.devTemplate` as of `updatedAt`). */
  versionId: string | null;
  state: LabDeploymentState;
  createdBy: string;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  /** When `lifetime.expireAfter` ends it; the reconciler destroys it then. */
  expiresAt: Timestamp | null;
  /** Filled in when destroyed, and after each teardown that was not verified (still `destroying`). */
  teardown: LabTeardownSummary | null;
}

/**
 * One student's copy as Aperture last saw it. `pending`: to be deployed (new, or enrolled
 * later); `stopped`: idle-stopped (volumes kept), started again on the next open;
 * `removed`: unenrolled or torn down.
 */
export type LabEnvironmentState =
  | 'pending'
  | 'deploying'
  | 'ready'
  | 'failed'
  | 'stopped'
  | 'resetting'
  | 'removed';

/** Every state but `removed`: a copy that still exists for its student (reset, or removed, from here). */
export const LIVE_COPY_STATES: readonly LabEnvironmentState[] = [
  'pending',
  'deploying',
  'ready',
  'failed',
  'stopped',
  'resetting',
];

export interface LabEnvironment {
  deploymentId: string;
  userId: string;
  state: LabEnvironmentState;
  /** The engine's name for it (a namespace, a pod); '' before the first deploy. */
  environment: string;
  attempts: number;
  error: string | null;
  /** Last terminal, desktop or HTTP use through the proxy: drives the idle stop. */
  lastAccessAt: Timestamp | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface LabRepository {
  /** A ConflictError when the course already has a lab of that name. */
  insert(lab: Lab): Promise<void>;
  get(id: string): Promise<Lab | undefined>;
  getByName(courseId: string, name: string): Promise<Lab | undefined>;
  listByCourse(courseId: string): Promise<Lab[]>;
  updateDevTemplate(id: string, template: LabTemplate, at: Timestamp): Promise<void>;
  /** Only a lab with no deployment left that is not `destroyed`; false otherwise. */
  delete(id: string): Promise<boolean>;
}

export interface LabVersionRepository {
  /** Idempotent: inserting an existing (labId, id) leaves it as it is and returns false. */
  insert(version: LabVersion): Promise<boolean>;
  get(labId: string, id: string): Promise<LabVersion | undefined>;
  /** Newest first. */
  listByLab(labId: string): Promise<LabVersion[]>;
  /** Conditional: only from one of `from`; returns whether it applied. */
  setState(
    labId: string,
    id: string,
    from: readonly LabVersionState[],
    patch: Pick<LabVersion, 'state'> &
      Partial<Pick<LabVersion, 'checkResults' | 'checkedAt' | 'publishedAt' | 'snapshots'>>,
  ): Promise<boolean>;
  /** Versions left `checking` by a crash (recovery runs their checks again). */
  listChecking(): Promise<LabVersion[]>;
}

export interface LabDeploymentRepository {
  insert(deployment: LabDeployment): Promise<void>;
  get(id: string): Promise<LabDeployment | undefined>;
  listByLab(labId: string): Promise<LabDeployment[]>;
  /** Not `destroyed`, every lab of the course; for "deploy to students enrolled later". */
  listActiveByCourse(courseId: string): Promise<LabDeployment[]>;
  /** Not `destroyed`, all courses: what the reconciler looks after. */
  listLive(): Promise<LabDeployment[]>;
  /** Conditional on the current state being one of `from`; returns whether it applied. */
  setState(
    id: string,
    from: readonly LabDeploymentState[],
    patch: Pick<LabDeployment, 'state' | 'updatedAt'> &
      Partial<Pick<LabDeployment, 'teardown' | 'versionId' | 'expiresAt'>>,
  ): Promise<boolean>;
}

export type LabEnvironmentPatch = Partial<
  Pick<LabEnvironment, 'state' | 'environment' | 'attempts' | 'error' | 'lastAccessAt'>
> & { updatedAt: Timestamp };

export interface LabEnvironmentRepository {
  /** Insert, or leave an existing (deploymentId, userId) row as it is; returns whether it inserted. */
  insertIfMissing(environment: LabEnvironment): Promise<boolean>;
  get(deploymentId: string, userId: string): Promise<LabEnvironment | undefined>;
  listByDeployment(deploymentId: string): Promise<Array<LabEnvironment & { username: string }>>;
  /** Every copy of that user that is not `removed`, newest deployment first (a student's "My labs"). */
  listByUser(userId: string): Promise<LabEnvironment[]>;
  /**
   * The patched fields, in one conditional UPDATE: with `when.from`, only while the copy is in one
   * of those states; with `when.lastAccessAt`, only while that is still its last use (null: never
   * used). Returns whether it applied (false also when there is no such copy). The state is a
   * compare-and-set: whoever writes one (the worker, a reset, a start) names the states it may
   * replace, so a later intent is never overwritten by an earlier operation's result.
   */
  update(
    deploymentId: string,
    userId: string,
    patch: LabEnvironmentPatch,
    when?: { from?: readonly LabEnvironmentState[]; lastAccessAt?: Timestamp | null },
  ): Promise<boolean>;
  /** Every copy of a deployment to one state at once (teardown, redeploy). */
  setStateForDeployment(deploymentId: string, state: LabEnvironmentState, at: Timestamp): Promise<number>;
}

/** What the opener reached: a terminal, a desktop, or a web port (its page or its own WebSocket). */
export type LabAccessKind = 'terminal' | 'vnc' | 'http';

/**
 * Someone opened another person's copy: staff watching and helping, or an instructor in a
 * colleague's dev copy. Kept so the copy's owner sees who looked in and when ("My labs").
 */
export interface LabAccessRecord {
  id: string;
  deploymentId: string;
  /** Whose copy. */
  userId: string;
  viewerId: string;
  component: string;
  kind: LabAccessKind;
  at: Timestamp;
}

export interface LabAccessLogRepository {
  insert(record: LabAccessRecord): Promise<void>;
  /** Newest first, at most `limit`, each with the viewer's username and display name. */
  listByCopy(
    deploymentId: string,
    userId: string,
    limit: number,
  ): Promise<Array<LabAccessRecord & { viewerUsername: string; viewerName: string }>>;
}
