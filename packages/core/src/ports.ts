import type {
  ApiToken,
  Assignment,
  Course,
  CourseRole,
  Enrollment,
  Run,
  RunStatus,
  Session,
  Timestamp,
  User,
} from './domain/entities.ts';
import type { HarnessJob, HarnessResult } from './domain/harness-protocol.ts';
import type { Verdict } from './domain/verdicts.ts';
import type { LoginFailureRepository } from './identity/login-failures.ts';
import type {
  LabAccessLogRepository,
  LabDeploymentRepository,
  LabEnvironmentRepository,
  LabRepository,
  LabVersionRepository,
} from './labs/lab-entities.ts';

// ---------------------------------------------------------------------------------------------
// Storage. Both dialects (SQLite, PostgreSQL) implement exactly this and pass one contract suite.
// ---------------------------------------------------------------------------------------------

export interface UserRepository {
  insert(user: User): Promise<void>;
  get(id: string): Promise<User | undefined>;
  getByUsername(username: string): Promise<User | undefined>;
  list(): Promise<User[]>;
  update(
    id: string,
    patch: Partial<Pick<User, 'displayName' | 'email' | 'role' | 'passwordHash'>>,
  ): Promise<void>;
  count(): Promise<number>;
}

export interface TokenRepository {
  insert(token: ApiToken): Promise<void>;
  getByHash(tokenHash: string): Promise<ApiToken | undefined>;
  listByUser(userId: string): Promise<ApiToken[]>;
  touch(id: string, at: Timestamp): Promise<void>;
  /** Returns false when no token of that user has that id. */
  delete(id: string, userId: string): Promise<boolean>;
}

export interface SessionRepository {
  insert(session: Session): Promise<void>;
  get(idHash: string): Promise<Session | undefined>;
  delete(idHash: string): Promise<void>;
  deleteExpired(now: Timestamp): Promise<number>;
}

export interface CourseRepository {
  insert(course: Course): Promise<void>;
  get(id: string): Promise<Course | undefined>;
  getByCode(code: string): Promise<Course | undefined>;
  list(): Promise<Course[]>;
  listForUser(userId: string): Promise<Array<Course & { role: CourseRole }>>;
}

export interface EnrollmentRepository {
  /** Insert or change the role of an existing enrollment. */
  upsert(enrollment: Enrollment): Promise<void>;
  get(courseId: string, userId: string): Promise<Enrollment | undefined>;
  listByCourse(courseId: string): Promise<Array<Enrollment & { username: string; displayName: string }>>;
  delete(courseId: string, userId: string): Promise<boolean>;
}

export interface AssignmentRepository {
  insert(assignment: Assignment): Promise<void>;
  get(id: string): Promise<Assignment | undefined>;
  getBySlug(courseId: string, slug: string): Promise<Assignment | undefined>;
  listByCourse(courseId: string): Promise<Assignment[]>;
  update(assignment: Assignment): Promise<void>;
}

/** What a new run must fit in to be queued; an absent field is no limit. */
export interface AdmissionLimits {
  /** The most runs the user may have queued or running at once. */
  maxUnfinished?: number | undefined;
  /** A graded quota: at most `max` submissions by the user to the run's assignment since `since`. */
  submissions?: { max: number; since: Timestamp } | undefined;
}

export type AdmissionOutcome =
  | { admitted: true }
  | { admitted: false; limit: 'maxUnfinished' | 'submissions'; used: number };

export interface QueuedRunRef {
  id: string;
  userId: string;
  courseId: string | null;
  createdAt: Timestamp;
}

export interface RunCompletion {
  status: 'completed' | 'failed';
  result: HarnessResult | null;
  verdict: Verdict | null;
  score: number | null;
  maxScore: number | null;
  error: string | null;
  finishedAt: Timestamp;
}

export interface RunListFilter {
  userId?: string;
  assignmentId?: string;
  courseId?: string;
  kind?: Run['kind'];
  limit?: number;
}

export interface RunRepository {
  insert(run: Run): Promise<void>;
  get(id: string): Promise<Run | undefined>;
  list(filter: RunListFilter): Promise<Run[]>;
  /**
   * Oldest first. With `perUser`, only each user's `perUser` oldest queued runs, so one user's
   * flood cannot fill the `limit` and hide everyone else's runs from the scheduler.
   */
  listQueued(limit: number, perUser?: number): Promise<QueuedRunRef[]>;
  /**
   * queued → running, attempts + 1, in one conditional write. Undefined when the run was not
   * queued any more (another dispatcher took it, or it was cancelled).
   */
  claim(id: string, startedAt: Timestamp): Promise<Run | undefined>;
  /**
   * running → completed | failed, only if still running with that attempt number: a late result
   * of an abandoned attempt never overwrites the result of the retry. Returns whether it applied.
   */
  complete(id: string, attempt: number, completion: RunCompletion): Promise<boolean>;
  /**
   * running → queued again after an infrastructure failure (the sandbox never produced a result),
   * only if still running with that attempt. The next claim counts the next attempt.
   */
  release(id: string, attempt: number): Promise<boolean>;
  /** queued → cancelled at once; running → cancelRequested (the dispatcher stops it). */
  requestCancel(id: string, at: Timestamp): Promise<RunStatus | undefined>;
  /** running, with a cancel requested → cancelled. */
  markCancelled(id: string, attempt: number, at: Timestamp): Promise<boolean>;
  /** Recovery after a crash: every running run back to queued. Returns their ids. */
  requeueRunning(): Promise<string[]>;
  /** Runs in the given state, for recovery and the system page. */
  countByStatus(): Promise<Record<RunStatus, number>>;
  countSubmissionsSince(assignmentId: string, userId: string, since: Timestamp): Promise<number>;
  /**
   * Insert a new queued run unless its user is at one of `limits`: count and insert are one atomic
   * step (two concurrent requests can never both take the last place), on every dialect.
   */
  admit(run: Run, limits: AdmissionLimits): Promise<AdmissionOutcome>;
  setWebhookStatus(id: string, status: NonNullable<Run['webhookStatus']>): Promise<void>;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly users: UserRepository;
  readonly tokens: TokenRepository;
  readonly sessions: SessionRepository;
  readonly courses: CourseRepository;
  readonly enrollments: EnrollmentRepository;
  readonly assignments: AssignmentRepository;
  readonly runs: RunRepository;
  readonly labs: LabRepository;
  readonly labVersions: LabVersionRepository;
  readonly labDeployments: LabDeploymentRepository;
  readonly labEnvironments: LabEnvironmentRepository;
  readonly labAccessLog: LabAccessLogRepository;
  readonly loginFailures: LoginFailureRepository;
  /** Run `work` in one database transaction, with a store bound to it. */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
  /** Cheap liveness probe for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Execution.
// ---------------------------------------------------------------------------------------------

/** The sandbox a job needs, decided by core and honoured by every backend. */
export interface SandboxSpec {
  image: string;
  /** Total of the sandbox: the largest step plus the harness's own overhead. */
  memoryBytes: number;
  pids: number;
  cpus: number;
  network: boolean;
  /** Size of the writable work dir (tmpfs). */
  workDirBytes: number;
  /** Hard wall-clock deadline for the whole job; the backend kills the sandbox after it. */
  deadlineMs: number;
}

export interface ExecutionRequest {
  runId: string;
  attempt: number;
  job: HarnessJob;
  sandbox: SandboxSpec;
  signal: AbortSignal;
}

/**
 * `infrastructure` failures (the sandbox could not start, the node vanished, the result was
 * unreadable) are retried and never become a student's verdict.
 */
export type ExecutionResult =
  | { kind: 'result'; result: HarnessResult; raw: { stdoutBytes: number } }
  | { kind: 'infrastructure'; reason: string; retryable: boolean }
  | { kind: 'cancelled' };

export interface BackendHealth {
  ok: boolean;
  backend: string;
  details: Record<string, unknown>;
}

export interface RunExecutor {
  readonly name: string;
  execute(request: ExecutionRequest): Promise<ExecutionResult>;
  /** Remove every sandbox of ours that no live run owns (after a crash, at start). */
  sweep(liveRunIds: ReadonlySet<string>): Promise<{ removed: number }>;
  health(): Promise<BackendHealth>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Small ports.
// ---------------------------------------------------------------------------------------------

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** A new id with a readable prefix, e.g. `run_01J…`. Time-ordered. */
  next(prefix: string): string;
  /** A random secret, URL-safe, for tokens and nonces. */
  secret(bytes?: number): string;
}

export interface SecretHasher {
  hashPassword(password: string): Promise<string>;
  verifyPassword(password: string, hash: string): Promise<boolean>;
  /** Fast, deterministic hash for high-entropy secrets (tokens, session ids). */
  digest(secret: string): string;
}

export type RunEvent =
  | { type: 'run.status'; runId: string; status: RunStatus; at: Timestamp; verdict?: Verdict | null }
  | { type: 'run.completed'; runId: string; run: Run };

export interface EventBus {
  publish(event: RunEvent): void;
  subscribe(runId: string, listener: (event: RunEvent) => void): () => void;
  subscribeAll(listener: (event: RunEvent) => void): () => void;
}

/** The subset of pino's interface core uses, so core needs no logging library. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}
