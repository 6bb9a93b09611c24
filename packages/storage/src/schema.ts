import type { ColumnType } from 'kysely';

/**
 * The tables as Kysely sees them, shared by both dialects. Timestamps are ISO text (they sort as
 * text); JSON documents are text, parsed by the repository that owns the table.
 */
export interface Database {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  courses: CoursesTable;
  enrollments: EnrollmentsTable;
  assignments: AssignmentsTable;
  runs: RunsTable;
  labs: LabsTable;
  lab_versions: LabVersionsTable;
  lab_deployments: LabDeploymentsTable;
  lab_environments: LabEnvironmentsTable;
  lab_access_log: LabAccessLogTable;
  login_failures: LoginFailuresTable;
}

/** Native boolean on PostgreSQL, 0/1 on SQLite; we always write 0/1, which both accept. */
export type BooleanColumn = ColumnType<boolean | number, number, number>;

export interface UsersTable {
  id: string;
  username: string;
  display_name: string;
  email: string | null;
  role: string;
  password_hash: string | null;
  created_at: string;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
}

export interface SessionsTable {
  id_hash: string;
  user_id: string;
  created_at: string;
  expires_at: string;
}

export interface CoursesTable {
  id: string;
  code: string;
  title: string;
  created_at: string;
}

export interface EnrollmentsTable {
  course_id: string;
  user_id: string;
  role: string;
  created_at: string;
}

export interface AssignmentsTable {
  id: string;
  course_id: string;
  slug: string;
  title: string;
  statement: string;
  /** JSON: string[] */
  languages: string;
  /** JSON: TestCase[] */
  tests: string;
  /** JSON: Partial<Limits> */
  limits: string;
  deadline: string | null;
  /** JSON: SubmissionLimit | null */
  submission_limit: string | null;
  /** JSON: SourceFile[] */
  support_files: string;
  /** JSON: { files: SourceFile[] } | null */
  autograder: string | null;
  created_at: string;
  updated_at: string;
}

export interface RunsTable {
  id: string;
  kind: string;
  user_id: string;
  course_id: string | null;
  assignment_id: string | null;
  status: string;
  /** JSON: RunSpec */
  spec: string;
  /** JSON: HarnessResult | null */
  result: string | null;
  verdict: string | null;
  score: number | null;
  max_score: number | null;
  error: string | null;
  attempts: number;
  cancel_requested: BooleanColumn;
  webhook_url: string | null;
  webhook_status: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface LabsTable {
  id: string;
  course_id: string;
  name: string;
  /** JSON: LabTemplate */
  dev_template: string;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface LabVersionsTable {
  lab_id: string;
  id: string;
  /** JSON: LabTemplate */
  template: string;
  /** JSON: ImageDigests */
  images: string;
  state: string;
  /** JSON: LabCheckResult[] | null */
  check_results: string | null;
  /** JSON: Record<string, string> | null */
  snapshots: string | null;
  created_by: string;
  created_at: string;
  checked_at: string | null;
  published_at: string | null;
}

export interface LabDeploymentsTable {
  id: string;
  lab_id: string;
  course_id: string;
  kind: string;
  version_id: string | null;
  state: string;
  created_by: string;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  /** JSON: LabTeardownSummary | null */
  teardown: string | null;
}

export interface LabEnvironmentsTable {
  deployment_id: string;
  user_id: string;
  state: string;
  environment: string;
  attempts: number;
  error: string | null;
  last_access_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface LabAccessLogTable {
  id: string;
  deployment_id: string;
  user_id: string;
  viewer_id: string;
  component: string;
  kind: string;
  at: string;
}

export interface LoginFailuresTable {
  kind: string;
  key: string;
  failures: number;
  first_failure_at: string;
  last_failure_at: string;
  locked_until: string | null;
  last_refused: ColumnType<number, number | undefined, number>;
}
