/**
 * The shapes the API answers with. Types only: they come from the server's own packages, so a
 * change there breaks the web build instead of the page.
 */
import type {
  ApiToken,
  Assignment,
  Course,
  CourseRole,
  DeploymentSummary,
  DeploymentView,
  Enrollment,
  Gradebook,
  GradebookRow,
  LabCheckResult,
  LabDetail,
  LabEnvironmentState,
  LabStudentView,
  LabSummary,
  LabTemplate,
  LabTemplateChange,
  LabTemplateProblem,
  LabVersion,
  LabVersionState,
  MyLab,
  MyLabComponent,
  PublicUser,
  RosterImportSummary,
  RunStatus,
  RunView,
  StudentAssignment,
  TestView,
  Verdict,
} from '@aperture/core';

export type {
  AssignmentBody,
  CreateRunBody,
  SourceFileBody,
  SubmissionBody,
  TestCaseBody,
} from '@aperture/api-contract';
export type {
  Assignment,
  Course,
  CourseRole,
  DeploymentSummary,
  DeploymentView,
  Gradebook,
  GradebookRow,
  LabCheckResult,
  LabDetail,
  LabEnvironmentState,
  LabStudentView,
  LabSummary,
  LabTemplate,
  LabTemplateChange,
  LabTemplateProblem,
  LabVersion,
  LabVersionState,
  MyLab,
  MyLabComponent,
  PublicUser,
  RosterImportSummary,
  RunStatus,
  RunView,
  StudentAssignment,
  TestView,
  Verdict,
};

/** Staff get the full assignment; students the view without hidden tests. */
export type AnyAssignment = Assignment | StudentAssignment;

export const isFullAssignment = (a: AnyAssignment): a is Assignment => 'supportFiles' in a;

export type CourseWithRole = Course & { role: CourseRole | null };
export type EnrollmentWithUser = Enrollment & { username: string; displayName: string };
export type TokenView = Omit<ApiToken, 'tokenHash'>;
export type CreatedToken = TokenView & { token: string };

export interface Language {
  id: string;
  name: string;
  version: string;
  compile: string | null;
  run: string;
  defaultMainFile: string;
  extensions: string[];
}

export interface SystemInfo {
  version: string;
  runs: Partial<Record<RunStatus, number>>;
  dispatcher: { running: number };
  backend: { ok: boolean; backend: string; details?: Record<string, unknown> };
  database: string;
}

export interface RunFile {
  path: string;
  size: number;
  content: string | null;
  contentBase64: string | null;
}

export interface RunFiles {
  mainFile: string;
  files: RunFile[];
}

export interface LoginResult {
  user: PublicUser;
  expiresAt: string;
}

/** The `status` event of GET /runs/{id}/events. */
export interface RunStatusEvent {
  status: RunStatus;
  at: string;
  verdict: Verdict | null;
}

export interface NewUser {
  username: string;
  password?: string;
  displayName?: string;
  role: 'admin' | 'staff' | 'user';
}

/** GET /api/v1/labs/capabilities: what the lab engine offers. */
export interface LabCapabilities {
  backend: string;
  kubevirt: boolean;
  volumeSnapshots: boolean;
}

/** GET /api/v1/labs/types. */
export interface LabType {
  type: string;
  description: string;
}

/** POST /api/v1/labs/validate. */
export type LabValidation =
  | { valid: true; template: LabTemplate }
  | { valid: false; errors: LabTemplateProblem[] };

/** POST /api/v1/courses/:course/labs: a built-in type with a budget, or a template. */
export type NewLabBody =
  | { type: string; cpu: string; memory: string; storage: string; name?: string }
  | { text: string }
  | { template: LabTemplate };

/** PUT /api/v1/labs/:lab/template. */
export type LabTemplateBody = { text: string } | { template: LabTemplate };
