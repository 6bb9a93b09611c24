import type { SourceFile } from './files.ts';
import type { HarnessResult } from './harness-protocol.ts';
import type { Limits } from './limits.ts';
import type { TestCase } from './tests.ts';
import type { Verdict } from './verdicts.ts';

/** Timestamps are ISO-8601 UTC strings with milliseconds: they sort as text in every store. */
export type Timestamp = string;

/** `staff` may create courses; course roles come from enrollments. */
export type GlobalRole = 'admin' | 'staff' | 'user';
export type CourseRole = 'instructor' | 'ta' | 'student';

export interface User {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  role: GlobalRole;
  passwordHash: string | null;
  createdAt: Timestamp;
}

export interface ApiToken {
  id: string;
  userId: string;
  name: string;
  /** sha256 of the secret; the secret itself is shown once and never stored. */
  tokenHash: string;
  createdAt: Timestamp;
  lastUsedAt: Timestamp | null;
  expiresAt: Timestamp | null;
}

export interface Session {
  /** sha256 of the cookie value. */
  idHash: string;
  userId: string;
  createdAt: Timestamp;
  expiresAt: Timestamp;
}

export interface Course {
  id: string;
  code: string;
  title: string;
  createdAt: Timestamp;
}

export interface Enrollment {
  courseId: string;
  userId: string;
  role: CourseRole;
  createdAt: Timestamp;
}

export interface SubmissionLimit {
  count: number;
  periodSeconds: number;
}

export interface Assignment {
  id: string;
  courseId: string;
  slug: string;
  title: string;
  /** Markdown. */
  statement: string;
  languages: string[];
  tests: TestCase[];
  limits: Partial<Limits>;
  deadline: Timestamp | null;
  submissionLimit: SubmissionLimit | null;
  /** Files given to every run (checkers, data). Never shown to students. */
  supportFiles: SourceFile[];
  /** A Gradescope-format autograder; when set it grades instead of `tests`. */
  autograder: { files: SourceFile[] } | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export const TERMINAL_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];
export type RunKind = 'adhoc' | 'submission';

/** What to execute. Stored with the run so a retry after a crash runs exactly the same thing. */
export interface RunSpec {
  language: string;
  files: SourceFile[];
  mainFile: string;
  stdin: string;
  tests: TestCase[];
  limits: Partial<Limits>;
  supportFiles: SourceFile[];
  autograder: { files: SourceFile[] } | null;
}

export interface Run {
  id: string;
  kind: RunKind;
  userId: string;
  courseId: string | null;
  assignmentId: string | null;
  status: RunStatus;
  spec: RunSpec;
  result: HarnessResult | null;
  verdict: Verdict | null;
  score: number | null;
  maxScore: number | null;
  /** Why a run failed (infrastructure), for operators; students see a generic message. */
  error: string | null;
  attempts: number;
  cancelRequested: boolean;
  webhookUrl: string | null;
  webhookStatus: 'pending' | 'delivered' | 'failed' | null;
  createdAt: Timestamp;
  startedAt: Timestamp | null;
  finishedAt: Timestamp | null;
}

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}
