import type {
  AnyAssignment,
  Assignment,
  AssignmentBody,
  CourseWithRole,
  CreatedToken,
  DeploymentView,
  EnrollmentWithUser,
  Gradebook,
  LabCapabilities,
  LabDetail,
  LabSummary,
  LabTemplateBody,
  LabTemplateChange,
  LabType,
  LabValidation,
  LabVersion,
  Language,
  LoginResult,
  MyLab,
  NewLabBody,
  NewUser,
  PublicUser,
  RosterImportSummary,
  RunFiles,
  RunView,
  SourceFileBody,
  SystemInfo,
  TokenView,
} from './types.ts';

/** The error codes of the API (`{ error: { code } }`), plus the client's own `network`. */
export type ApiErrorCode =
  | 'validation_failed'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'payload_too_large'
  | 'unavailable'
  | 'internal'
  | 'network'
  | (string & {});

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details: Record<string, unknown> | undefined = undefined,
  ) {
    super(message);
  }
}

export const isApiError = (error: unknown, code?: ApiErrorCode): error is ApiError =>
  error instanceof ApiError && (code === undefined || error.code === code);

type Fetch = typeof fetch;

interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
}

/**
 * The one place the web UI talks HTTP. Same origin, so the session cookie rides along; every
 * failure becomes an ApiError with the server's stable code.
 */
export class ApiClient {
  constructor(
    private readonly baseUrl = '',
    private readonly fetchImpl: Fetch = (...args) => globalThis.fetch(...args),
  ) {}

  // --- auth -------------------------------------------------------------------------------
  login = (username: string, password: string) =>
    this.request<LoginResult>('POST', '/api/v1/auth/login', { body: { username, password } });
  logout = () => this.request<void>('POST', '/api/v1/auth/logout');
  me = () => this.request<PublicUser>('GET', '/api/v1/me');

  // --- courses ----------------------------------------------------------------------------
  courses = () => this.request<CourseWithRole[]>('GET', '/api/v1/courses');
  course = (code: string) => this.request<CourseWithRole>('GET', `/api/v1/courses/${enc(code)}`);
  createCourse = (code: string, title: string) =>
    this.request<CourseWithRole>('POST', '/api/v1/courses', { body: { code, title } });
  enrollments = (course: string) =>
    this.request<EnrollmentWithUser[]>('GET', `/api/v1/courses/${enc(course)}/enrollments`);
  importRoster = (course: string, csv: string) =>
    this.request<RosterImportSummary>('POST', `/api/v1/courses/${enc(course)}/roster`, { body: { csv } });
  gradebook = (course: string) => this.request<Gradebook>('GET', `/api/v1/courses/${enc(course)}/gradebook`);
  gradebookCsvUrl = (course: string) => `${this.baseUrl}/api/v1/courses/${enc(course)}/gradebook?format=csv`;

  // --- assignments ------------------------------------------------------------------------
  assignments = (course: string) =>
    this.request<AnyAssignment[]>('GET', `/api/v1/courses/${enc(course)}/assignments`);
  assignment = (course: string, slug: string) =>
    this.request<AnyAssignment>('GET', `/api/v1/courses/${enc(course)}/assignments/${enc(slug)}`);
  createAssignment = (course: string, body: AssignmentBody) =>
    this.request<Assignment>('POST', `/api/v1/courses/${enc(course)}/assignments`, { body });
  updateAssignment = (id: string, body: AssignmentBody) =>
    this.request<Assignment>('PUT', `/api/v1/assignments/${enc(id)}`, { body });
  submissions = (assignmentId: string, userId?: string) =>
    this.request<RunView[]>('GET', `/api/v1/assignments/${enc(assignmentId)}/submissions`, {
      query: { userId, limit: 200 },
    });
  submit = (assignmentId: string, language: string, files: SourceFileBody[], mainFile?: string) =>
    this.request<RunView>('POST', `/api/v1/assignments/${enc(assignmentId)}/submissions`, {
      body: { language, files, ...(mainFile ? { mainFile } : {}) },
    });

  // --- runs -------------------------------------------------------------------------------
  languages = () => this.request<Language[]>('GET', '/api/v1/languages');
  createRun = (body: { language: string; files: SourceFileBody[]; mainFile?: string; stdin?: string }) =>
    this.request<RunView>('POST', '/api/v1/runs', { body });
  run = (id: string) => this.request<RunView>('GET', `/api/v1/runs/${enc(id)}`);
  runFiles = (id: string) => this.request<RunFiles>('GET', `/api/v1/runs/${enc(id)}/files`);
  rerun = (id: string) =>
    this.request<{ id: string; status: string }>('POST', `/api/v1/runs/${enc(id)}/rerun`);
  cancelRun = (id: string) => this.request<RunView>('POST', `/api/v1/runs/${enc(id)}/cancel`);
  runEventsUrl = (id: string) => `${this.baseUrl}/api/v1/runs/${enc(id)}/events`;

  // --- labs -----------------------------------------------------------------------------
  labTypes = () => this.request<LabType[]>('GET', '/api/v1/labs/types');
  labCapabilities = () => this.request<LabCapabilities>('GET', '/api/v1/labs/capabilities');
  validateLab = (body: LabTemplateBody) =>
    this.request<LabValidation>('POST', '/api/v1/labs/validate', { body });
  labs = (course: string) => this.request<LabSummary[]>('GET', `/api/v1/courses/${enc(course)}/labs`);
  createLab = (course: string, body: NewLabBody) =>
    this.request<LabDetail>('POST', `/api/v1/courses/${enc(course)}/labs`, { body });
  lab = (id: string) => this.request<LabDetail>('GET', `/api/v1/labs/${enc(id)}`);
  updateLabTemplate = (id: string, body: LabTemplateBody) =>
    this.request<LabDetail>('PUT', `/api/v1/labs/${enc(id)}/template`, { body });
  checkpointLab = (id: string) => this.request<LabVersion>('POST', `/api/v1/labs/${enc(id)}/checkpoint`);
  labVersionDiff = (id: string, version: string, against: string) =>
    this.request<{ changes: LabTemplateChange[] }>(
      'GET',
      `/api/v1/labs/${enc(id)}/versions/${enc(version)}/diff`,
      { query: { against } },
    );
  publishLabVersion = (id: string, version: string) =>
    this.request<LabVersion>('POST', `/api/v1/labs/${enc(id)}/versions/${enc(version)}/publish`);
  deployLab = (id: string, version: string) =>
    this.request<DeploymentView>('POST', `/api/v1/labs/${enc(id)}/deployments`, { body: { version } });
  labDeployment = (id: string) => this.request<DeploymentView>('GET', `/api/v1/lab-deployments/${enc(id)}`);
  resetLabCopy = (deployment: string, user: string) =>
    this.request<unknown>('POST', `/api/v1/lab-deployments/${enc(deployment)}/students/${enc(user)}/reset`);
  startLabCopy = (deployment: string, user: string) =>
    this.request<unknown>('POST', `/api/v1/lab-deployments/${enc(deployment)}/students/${enc(user)}/start`);
  destroyLabDeployment = (id: string) =>
    this.request<unknown>('DELETE', `/api/v1/lab-deployments/${enc(id)}`);
  deleteLab = (id: string) => this.request<void>('DELETE', `/api/v1/labs/${enc(id)}`);
  myLabs = () => this.request<MyLab[]>('GET', '/api/v1/me/labs');

  // --- admin ------------------------------------------------------------------------------
  users = () => this.request<PublicUser[]>('GET', '/api/v1/users');
  createUser = (user: NewUser) => this.request<PublicUser>('POST', '/api/v1/users', { body: user });
  tokens = () => this.request<TokenView[]>('GET', '/api/v1/tokens');
  createToken = (name: string, expiresInDays?: number) =>
    this.request<CreatedToken>('POST', '/api/v1/tokens', {
      body: { name, ...(expiresInDays ? { expiresInDays } : {}) },
    });
  revokeToken = (id: string) => this.request<void>('DELETE', `/api/v1/tokens/${enc(id)}`);
  system = () => this.request<SystemInfo>('GET', '/api/v1/system');

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
    if (options.body !== undefined) {
      init.body = JSON.stringify(options.body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}${queryString(options.query)}`, init);
    } catch (error) {
      throw new ApiError(0, 'network', `The server could not be reached (${(error as Error).message}).`);
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    const parsed = parseJson(text);
    if (!response.ok) throw toApiError(response.status, parsed);
    return parsed as T;
  }
}

const enc = encodeURIComponent;

function queryString(query: RequestOptions['query']): string {
  const entries = Object.entries(query ?? {}).filter(([, v]) => v !== undefined) as [
    string,
    string | number,
  ][];
  if (entries.length === 0) return '';
  return `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}`;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toApiError(status: number, body: unknown): ApiError {
  const error = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } })
    ?.error;
  if (error?.code) return new ApiError(status, error.code, error.message ?? error.code, error.details);
  return new ApiError(status, status >= 500 ? 'internal' : 'unknown', `The server answered ${status}.`);
}

/** The client the app uses; tests build their own with a fake fetch. */
export const api = new ApiClient();
