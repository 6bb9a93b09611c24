import type {
  assignmentSchema,
  createCourseSchema,
  createRunSchema,
  createTokenSchema,
  enrollSchema,
  submissionSchema,
} from '@aperture/api-contract';
import type {
  ApiToken,
  Assignment,
  Course,
  CourseRole,
  Enrollment,
  Gradebook,
  RosterImportSummary,
  RunStatus,
  RunView,
  User,
} from '@aperture/core';
import type { z } from 'zod';
import { ApiError, ConnectionError } from './errors.ts';
import { readSse } from './sse.ts';

export type PublicUser = Omit<User, 'passwordHash'>;
export type TokenInfo = Omit<ApiToken, 'tokenHash'>;
export type CreatedToken = TokenInfo & { token: string };
export type CourseListItem = Course & { role: CourseRole | null };
export type Language = {
  id: string;
  name: string;
  version: string;
  compile: string | null;
  run: string;
  defaultMainFile: string;
  extensions: string[];
};
/** Students get assignments without hidden tests; the CLI only reads fields both shapes have. */
export type AssignmentInfo = Pick<
  Assignment,
  'id' | 'courseId' | 'slug' | 'title' | 'statement' | 'languages' | 'deadline' | 'submissionLimit'
> & { tests: Array<{ name: string; points: number }> };

export type CreateRunRequest = z.input<typeof createRunSchema>;
export type SubmissionRequest = z.input<typeof submissionSchema>;
export type AssignmentRequest = z.input<typeof assignmentSchema>;
export type CreateTokenRequest = z.input<typeof createTokenSchema>;
export type CreateCourseRequest = z.input<typeof createCourseSchema>;
export type EnrollRequest = z.input<typeof enrollSchema>;

/** What GET /api/v1/runs/{id}/events sends. */
export type RunEvent = { type: 'status'; status: RunStatus; at: string } | { type: 'result'; run: RunView };

export interface ApiClientOptions {
  server: string;
  token?: string | undefined;
  /** Injected in tests. */
  fetch?: typeof fetch;
}

interface RequestOptions {
  body?: unknown;
  form?: FormData;
  text?: { contentType: string; value: string };
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** The one place the CLI speaks HTTP. Every method maps to one endpoint of /api/v1. */
export class ApiClient {
  readonly server: string;
  private readonly token: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ApiClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.token = options.token;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  get hasToken(): boolean {
    return Boolean(this.token);
  }

  /** For signing in: the server rejects a stale token even on public routes. */
  withoutToken(): ApiClient {
    return new ApiClient({ server: this.server, fetch: this.fetchImpl });
  }

  /** Signs in with a password; the session cookie is what POST /tokens needs to mint a token. */
  async login(username: string, password: string) {
    const response = await this.send('POST', '/api/v1/auth/login', { body: { username, password } });
    const body = (await response.json()) as { user: PublicUser; expiresAt: string };
    const sessionCookie = sessionCookieOf(response.headers);
    if (!sessionCookie) throw new ApiError(response.status, 'internal', 'The server set no session cookie.');
    return { ...body, sessionCookie };
  }

  createToken(body: CreateTokenRequest, sessionCookie?: string): Promise<CreatedToken> {
    return this.json('POST', '/api/v1/tokens', {
      body,
      ...(sessionCookie ? { headers: { cookie: sessionCookie } } : {}),
    });
  }

  listTokens = (): Promise<TokenInfo[]> => this.json('GET', '/api/v1/tokens');
  revokeToken = (id: string): Promise<void> => this.empty('DELETE', `/api/v1/tokens/${seg(id)}`);
  me = (): Promise<PublicUser> => this.json('GET', '/api/v1/me');
  languages = (): Promise<Language[]> => this.json('GET', '/api/v1/languages');

  createRun(body: CreateRunRequest, wait?: { timeoutMs?: number }): Promise<RunView> {
    return this.json('POST', '/api/v1/runs', { body, query: waitQuery(wait) });
  }

  getRun(id: string, wait?: { timeoutMs?: number }): Promise<RunView> {
    return this.json('GET', `/api/v1/runs/${seg(id)}`, { query: waitQuery(wait) });
  }

  /** Follows the run's server-sent events until the server closes the stream. */
  async *runEvents(id: string, signal?: AbortSignal): AsyncGenerator<RunEvent> {
    const response = await this.send('GET', `/api/v1/runs/${seg(id)}/events`, {
      headers: { accept: 'text/event-stream' },
      ...(signal ? { signal } : {}),
    });
    if (!response.body) throw new ApiError(response.status, 'internal', 'The event stream has no body.');
    for await (const message of readSse(response.body)) {
      const data = JSON.parse(message.data) as unknown;
      if (message.event === 'status')
        yield { type: 'status', ...(data as Omit<RunEvent & { type: 'status' }, 'type'>) };
      else if (message.event === 'result') yield { type: 'result', run: data as RunView };
    }
  }

  listCourses = (): Promise<CourseListItem[]> => this.json('GET', '/api/v1/courses');
  createCourse = (body: CreateCourseRequest): Promise<Course> =>
    this.json('POST', '/api/v1/courses', { body });

  enroll(course: string, body: EnrollRequest): Promise<Enrollment & { created: boolean }> {
    return this.json('POST', `/api/v1/courses/${seg(course)}/enrollments`, { body });
  }

  listEnrollments(course: string): Promise<Array<Enrollment & { username: string; displayName: string }>> {
    return this.json('GET', `/api/v1/courses/${seg(course)}/enrollments`);
  }

  importRoster(course: string, csv: string): Promise<RosterImportSummary> {
    return this.json('POST', `/api/v1/courses/${seg(course)}/roster`, { body: { csv } });
  }

  listAssignments(course: string): Promise<AssignmentInfo[]> {
    return this.json('GET', `/api/v1/courses/${seg(course)}/assignments`);
  }

  getAssignment = (id: string): Promise<AssignmentInfo> => this.json('GET', `/api/v1/assignments/${seg(id)}`);

  getAssignmentBySlug(course: string, slug: string): Promise<AssignmentInfo> {
    return this.json('GET', `/api/v1/courses/${seg(course)}/assignments/${seg(slug)}`);
  }

  createAssignment(course: string, body: AssignmentRequest): Promise<AssignmentInfo> {
    return this.json('POST', `/api/v1/courses/${seg(course)}/assignments`, { body });
  }

  /** JSON files, or a multipart form (for a zip archive). */
  submit(assignmentId: string, submission: SubmissionRequest | FormData): Promise<RunView> {
    const payload = submission instanceof FormData ? { form: submission } : { body: submission };
    return this.json('POST', `/api/v1/assignments/${seg(assignmentId)}/submissions`, payload);
  }

  listSubmissions(
    assignmentId: string,
    filter: { userId?: string; limit?: number } = {},
  ): Promise<RunView[]> {
    return this.json('GET', `/api/v1/assignments/${seg(assignmentId)}/submissions`, { query: filter });
  }

  gradebook = (course: string): Promise<Gradebook> =>
    this.json('GET', `/api/v1/courses/${seg(course)}/gradebook`);

  async gradebookCsv(course: string): Promise<string> {
    const response = await this.send('GET', `/api/v1/courses/${seg(course)}/gradebook`, {
      query: { format: 'csv' },
    });
    return response.text();
  }

  /** Any JSON endpoint; typed wrappers (LabClient) build on it rather than growing this class. */
  request<T>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Record<string, string | undefined> } = {},
  ): Promise<T> {
    return this.json(method, path, options);
  }

  /** An endpoint that answers 204 No Content. */
  requestNoContent(method: string, path: string): Promise<void> {
    return this.empty(method, path);
  }

  private async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    return (await response.json()) as T;
  }

  private async empty(method: string, path: string, options: RequestOptions = {}): Promise<void> {
    await (await this.send(method, path, options)).body?.cancel();
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const url = new URL(`${this.server}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.token && !headers['cookie']) headers['authorization'] = `Bearer ${this.token}`;
    let body: string | FormData | undefined;
    if (options.form) body = options.form;
    else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ConnectionError(this.server, error);
    }
    if (!response.ok) throw await apiErrorOf(response);
    return response;
  }
}

/** Map `{ error: { code, message, details } }` (or whatever came back) to an ApiError. */
export async function apiErrorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const { error } = JSON.parse(text) as {
      error?: { code?: string; message?: string; details?: Record<string, unknown> };
    };
    if (error?.message)
      return new ApiError(
        response.status,
        error.code ?? `http_${response.status}`,
        error.message,
        error.details,
      );
  } catch {
    // Not our JSON (a proxy's HTML page, say): fall through to the status line.
  }
  const snippet = text.trim().slice(0, 200);
  return new ApiError(
    response.status,
    `http_${response.status}`,
    `HTTP ${response.status} ${response.statusText}${snippet ? `: ${snippet}` : ''}`,
  );
}

const seg = encodeURIComponent;

function waitQuery(wait: { timeoutMs?: number } | undefined) {
  if (!wait) return {};
  return { wait: 'true', ...(wait.timeoutMs !== undefined ? { timeoutMs: wait.timeoutMs } : {}) };
}

function sessionCookieOf(headers: Headers): string | undefined {
  const cookie = headers.getSetCookie().find((value) => value.startsWith('aperture_session='));
  return cookie?.split(';')[0];
}
