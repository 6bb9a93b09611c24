import type { AssignmentInput, AssignmentService, AuthService, CourseService, Store } from '@aperture/core';

export const DEMO_COURSE = 'DEMO101';
export const DEMO_PASSWORD = 'aperture-demo';
export const DEMO_USERS = { instructor: 'instructor', student: 'student', student2: 'student2' } as const;

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** A small course that shows every feature: visible and hidden tests, points, two languages. */
export async function seedDemo(
  store: Store,
  services: { auth: AuthService; courses: CourseService; assignments: AssignmentService },
): Promise<{ created: boolean }> {
  if (await store.courses.getByCode(DEMO_COURSE)) return { created: false };
  const instructor = await services.auth.createUser('system', {
    username: DEMO_USERS.instructor,
    password: DEMO_PASSWORD,
    displayName: 'Ada Instructor',
    role: 'staff',
  });
  const actor = { userId: instructor.id, role: instructor.role };
  await services.courses.create(actor, { code: DEMO_COURSE, title: 'Introduction to Programming (demo)' });
  for (const [username, displayName] of [
    [DEMO_USERS.student, 'Sam Student'],
    [DEMO_USERS.student2, 'Robin Student'],
  ] as const) {
    await services.auth.createUser('system', { username, password: DEMO_PASSWORD, displayName });
    await services.courses.enroll(actor, DEMO_COURSE, { username, role: 'student' });
  }
  for (const assignment of DEMO_ASSIGNMENTS)
    await services.assignments.create(actor, DEMO_COURSE, assignment);
  return { created: true };
}

const DEMO_ASSIGNMENTS: AssignmentInput[] = [
  {
    slug: 'hello',
    title: 'Hello, world',
    statement: '# Hello, world\n\nPrint `hello` on a line of its own.',
    languages: ['python', 'c', 'cpp', 'java', 'javascript', 'bash'],
    tests: [
      {
        name: 'prints hello',
        stdin: '',
        expectedOutput: 'hello\n',
        comparator: { kind: 'exact' },
        points: 1,
        visibility: 'visible',
      },
    ],
    limits: {},
    deadline: null,
    submissionLimit: null,
    supportFiles: [],
    autograder: null,
  },
  {
    slug: 'sum',
    title: 'Sum of two numbers',
    statement:
      '# Sum of two numbers\n\nRead two integers `a` and `b` from one line of standard input and print `a + b`.\n\n' +
      'Beware: some tests are hidden, and some numbers are large.',
    languages: ['python', 'c', 'cpp', 'java', 'javascript'],
    tests: [
      {
        name: 'small',
        stdin: '1 2\n',
        expectedOutput: '3\n',
        comparator: { kind: 'whitespace' },
        points: 2,
        visibility: 'visible',
      },
      {
        name: 'negative',
        stdin: '-5 3\n',
        expectedOutput: '-2\n',
        comparator: { kind: 'whitespace' },
        points: 2,
        visibility: 'visible',
      },
      {
        name: 'large',
        stdin: '4000000000 4000000000\n',
        expectedOutput: '8000000000\n',
        comparator: { kind: 'whitespace' },
        points: 3,
        visibility: 'hidden',
      },
      {
        name: 'zeros',
        stdin: '0 0\n',
        expectedOutput: '0\n',
        comparator: { kind: 'whitespace' },
        points: 3,
        visibility: 'hidden',
      },
    ],
    limits: { cpuMs: 2000, wallMs: 5000 },
    deadline: null,
    submissionLimit: { count: 50, periodSeconds: 3600 },
    supportFiles: [
      { path: 'README.txt', contentBase64: b64('Support files reach the checker, never students.\n') },
    ],
    autograder: null,
  },
];
