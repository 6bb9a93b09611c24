import type { Gradebook, RunView, TestView } from '../api/types.ts';

export function testView(overrides: Partial<TestView> = {}): TestView {
  return {
    name: 'small',
    verdict: 'accepted',
    points: 2,
    maxPoints: 2,
    timeMs: 12,
    wallMs: 20,
    memoryBytes: 3 * 1024 * 1024,
    stdout: '3\n',
    stderr: '',
    exitCode: 0,
    signal: null,
    message: null,
    truncated: false,
    stdin: '1 2\n',
    expectedOutput: '3\n',
    ...overrides,
  };
}

export function runView(overrides: Partial<RunView> = {}): RunView {
  return {
    id: 'run-1',
    kind: 'submission',
    userId: 'u1',
    courseId: 'c1',
    assignmentId: 'a1',
    language: 'python',
    status: 'completed',
    verdict: 'accepted',
    score: 2,
    maxScore: 2,
    stdout: '',
    stderr: '',
    exitCode: null,
    timeMs: 12,
    memoryBytes: 1024,
    compile: null,
    tests: [testView()],
    hiddenTests: null,
    message: null,
    files: [{ path: 'main.py', size: 10 }],
    attempts: 1,
    createdAt: '2026-01-01T10:00:00.000Z',
    startedAt: '2026-01-01T10:00:01.000Z',
    finishedAt: '2026-01-01T10:00:02.000Z',
    ...overrides,
  };
}

export const gradebook: Gradebook = {
  assignments: [
    { id: 'a1', slug: 'hello', title: 'Hello', maxScore: 1 },
    { id: 'a2', slug: 'sum', title: 'Sum', maxScore: 10 },
  ],
  rows: [
    {
      userId: 'u1',
      username: 'sam',
      displayName: 'Sam Student',
      scores: { a1: 1, a2: 4 },
      submissions: { a1: 1, a2: 2 },
      total: 5,
    },
    {
      userId: 'u2',
      username: 'robin',
      displayName: 'Robin Roe',
      scores: { a1: null, a2: 10 },
      submissions: { a1: 0, a2: 1 },
      total: 10,
    },
    {
      userId: 'u3',
      username: 'ada',
      displayName: 'Ada Lovelace',
      scores: { a1: 1, a2: null },
      submissions: { a1: 3, a2: 0 },
      total: 1,
    },
  ],
};
