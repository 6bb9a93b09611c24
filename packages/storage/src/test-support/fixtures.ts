import type {
  ApiToken,
  Assignment,
  Course,
  HarnessResult,
  Run,
  RunCompletion,
  RunSpec,
  Session,
  Store,
  User,
} from '@aperture/core';

let counter = 0;
/** Unique, time-ordered enough for tests; callers pass createdAt when order matters. */
export const nextId = (prefix: string): string => `${prefix}_${(++counter).toString().padStart(6, '0')}`;

/** A timestamp `minutes` after a fixed origin, so tests control order without a clock. */
export const at = (minutes: number): string =>
  new Date(Date.UTC(2026, 0, 1) + minutes * 60_000).toISOString();

export function aUser(overrides: Partial<User> = {}): User {
  const id = overrides.id ?? nextId('usr');
  return {
    id,
    username: `user-${id}`,
    displayName: `User ${id}`,
    email: `${id}@example.test`,
    role: 'user',
    passwordHash: 'scrypt$hash',
    createdAt: at(0),
    ...overrides,
  };
}

export function aToken(userId: string, overrides: Partial<ApiToken> = {}): ApiToken {
  const id = overrides.id ?? nextId('tok');
  return {
    id,
    userId,
    name: 'laptop',
    tokenHash: `hash-${id}`,
    createdAt: at(1),
    lastUsedAt: null,
    expiresAt: null,
    ...overrides,
  };
}

export function aSession(userId: string, overrides: Partial<Session> = {}): Session {
  return { idHash: nextId('ses'), userId, createdAt: at(0), expiresAt: at(60), ...overrides };
}

export function aCourse(overrides: Partial<Course> = {}): Course {
  const id = overrides.id ?? nextId('crs');
  return { id, code: `CS-${id}`, title: `Course ${id}`, createdAt: at(0), ...overrides };
}

export function anAssignment(courseId: string, overrides: Partial<Assignment> = {}): Assignment {
  const id = overrides.id ?? nextId('asg');
  return {
    id,
    courseId,
    slug: `hw-${id}`,
    title: 'Hello',
    statement: '# Say hello\n\nPrint `hello`.',
    languages: ['python3', 'c'],
    tests: [
      {
        name: 't1',
        stdin: '',
        expectedOutput: 'hello\n',
        comparator: { kind: 'exact' },
        points: 1,
        visibility: 'visible',
        limits: { cpuMs: 1000 },
        args: ['--fast'],
      },
    ],
    limits: { memoryBytes: 64 * 1024 * 1024 },
    deadline: at(10_000),
    submissionLimit: { count: 3, periodSeconds: 3600 },
    supportFiles: [{ path: 'data/in.txt', contentBase64: 'AAEC' }],
    autograder: null,
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  };
}

export function aSpec(overrides: Partial<RunSpec> = {}): RunSpec {
  return {
    language: 'python3',
    files: [
      { path: 'main.py', contentBase64: Buffer.from('print("héllo ✓")\n').toString('base64') },
      { path: 'lib/util.py', contentBase64: Buffer.from([0, 255, 10]).toString('base64') },
    ],
    mainFile: 'main.py',
    stdin: 'line 1\nline "2"\n',
    tests: [],
    limits: { wallMs: 2000 },
    supportFiles: [],
    autograder: null,
    ...overrides,
  };
}

export function aRun(userId: string, overrides: Partial<Run> = {}): Run {
  return {
    id: nextId('run'),
    kind: 'adhoc',
    userId,
    courseId: null,
    assignmentId: null,
    status: 'queued',
    spec: aSpec(),
    result: null,
    verdict: null,
    score: null,
    maxScore: null,
    error: null,
    attempts: 0,
    cancelRequested: false,
    webhookUrl: null,
    webhookStatus: null,
    createdAt: at(0),
    startedAt: null,
    finishedAt: null,
    ...overrides,
  };
}

export function aResult(): HarnessResult {
  const outcome = {
    stdout: 'héllo ✓\n',
    stderr: '',
    exitCode: 0,
    signal: null,
    timeMs: 12,
    wallMs: 30,
    memoryBytes: 1024,
    truncated: false,
  };
  return {
    version: 1,
    status: 'ok',
    compile: { ...outcome, verdict: 'ok' },
    tests: [
      { ...outcome, name: 't1', verdict: 'accepted', points: 1.5, maxPoints: 1.5, visibility: 'visible' },
    ],
    score: 1.5,
    maxScore: 2.5,
    gradescope: { output: 'nested "quotes"', extraData: { a: [1, null, true] } },
  };
}

export function aCompletion(overrides: Partial<RunCompletion> = {}): RunCompletion {
  return {
    status: 'completed',
    result: aResult(),
    verdict: 'accepted',
    score: 1.5,
    maxScore: 2.5,
    error: null,
    finishedAt: at(5),
    ...overrides,
  };
}

/** A user, a course and an assignment: what most run tests need first. */
export async function seedCourse(
  store: Store,
): Promise<{ user: User; course: Course; assignment: Assignment }> {
  const user = aUser();
  const course = aCourse();
  const assignment = anAssignment(course.id);
  await store.users.insert(user);
  await store.courses.insert(course);
  await store.assignments.insert(assignment);
  return { user, course, assignment };
}
