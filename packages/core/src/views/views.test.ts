import { describe, expect, it } from 'vitest';
import type { Assignment, Run } from '../domain/entities.ts';
import type { TestResult } from '../domain/harness-protocol.ts';
import { buildGradebook, csvCell, gradebookToCsv } from './gradebook.ts';
import { parseCsv, parseRosterCsv } from './roster-csv.ts';
import { viewRun } from './run-view.ts';

const testCase = (name: string, visibility: 'visible' | 'hidden' | 'after_due_date', points: number) => ({
  name,
  stdin: `in-${name}`,
  expectedOutput: `out-${name}`,
  comparator: { kind: 'exact' as const },
  points,
  visibility,
});
const assignment: Assignment = {
  id: 'a1',
  courseId: 'c1',
  slug: 'a',
  title: 'A',
  statement: '',
  languages: ['python'],
  tests: [testCase('v', 'visible', 1), testCase('h', 'hidden', 2), testCase('d', 'after_due_date', 3)],
  limits: {},
  deadline: '2030-01-01T00:00:00.000Z',
  submissionLimit: null,
  supportFiles: [],
  autograder: null,
  createdAt: '',
  updatedAt: '',
};
const testResult = (
  name: string,
  verdict: TestResult['verdict'],
  points: number,
  maxPoints: number,
): TestResult => ({
  name,
  verdict,
  points,
  maxPoints,
  stdout: `actual-${name}`,
  stderr: '',
  exitCode: 0,
  signal: null,
  timeMs: 1,
  wallMs: 2,
  memoryBytes: 3,
  truncated: false,
});
const run: Run = {
  id: 'r1',
  kind: 'submission',
  userId: 'u1',
  courseId: 'c1',
  assignmentId: 'a1',
  status: 'completed',
  spec: {
    language: 'python',
    files: [],
    mainFile: 'main.py',
    stdin: '',
    tests: assignment.tests,
    limits: {},
    supportFiles: [],
    autograder: null,
  },
  result: {
    version: 1,
    status: 'ok',
    score: 3,
    maxScore: 6,
    tests: [
      testResult('v', 'accepted', 1, 1),
      testResult('h', 'wrong_answer', 0, 2),
      testResult('d', 'accepted', 3, 3),
    ],
  },
  verdict: 'wrong_answer',
  score: 4,
  maxScore: 6,
  error: 'node lost',
  attempts: 1,
  cancelRequested: false,
  webhookUrl: null,
  webhookStatus: null,
  createdAt: '',
  startedAt: null,
  finishedAt: null,
};

describe('viewRun', () => {
  it('staff see every test with its input and expected output', () => {
    const view = viewRun(run, assignment, { isStaff: true, now: new Date('2025-01-01') });
    expect(view.tests.map((t) => t.name)).toEqual(['v', 'h', 'd']);
    expect(view.tests[1]?.expectedOutput).toBe('out-h');
    expect(view.hiddenTests).toBeNull();
    expect(view.score).toBe(4);
  });

  it('students see visible tests; hidden ones only as a count, and their verdict stays hidden', () => {
    const view = viewRun(run, assignment, { isStaff: false, now: new Date('2025-01-01') });
    expect(view.tests.map((t) => t.name)).toEqual(['v']);
    expect(view.hiddenTests).toEqual({ count: 2, score: 3, maxScore: 5 });
    expect(view.score).toBe(1);
    expect(view.verdict).toBe('accepted');
    expect(JSON.stringify(view)).not.toContain('out-h');
  });

  it('an old run keeps its own visibility after the assignment is edited', () => {
    const hiddenOnly = { ...run, spec: { ...run.spec, tests: [testCase('h', 'hidden', 2)] } };
    const single = {
      ...hiddenOnly,
      result: { ...run.result!, tests: [testResult('h', 'wrong_answer', 0, 2)] },
    };
    const edited = { ...assignment, tests: [testCase('new', 'visible', 1), testCase('h', 'hidden', 2)] };
    const view = viewRun(single, edited, { isStaff: false, now: new Date('2025-01-01') });
    expect(view.tests).toEqual([]);
    expect(JSON.stringify(view)).not.toContain('in-h');
  });

  it('after the deadline, after_due_date tests appear', () => {
    const view = viewRun(run, assignment, { isStaff: false, now: new Date('2031-01-01') });
    expect(view.tests.map((t) => t.name)).toEqual(['v', 'd']);
  });

  it('a failed run shows students a generic message, staff the reason', () => {
    const failed = { ...run, status: 'failed' as const, result: null };
    expect(viewRun(failed, assignment, { isStaff: false, now: new Date() }).message).toContain(
      'not your fault',
    );
    expect(viewRun(failed, assignment, { isStaff: true, now: new Date() }).message).toBe('node lost');
  });
});

describe('gradebook', () => {
  it('keeps the best completed score and counts submissions', () => {
    const runs = [
      { ...run, score: 4 },
      { ...run, id: 'r2', score: 6 },
      { ...run, id: 'r3', score: 9, status: 'failed' as const },
    ];
    const book = buildGradebook(
      [assignment],
      [
        {
          courseId: 'c1',
          userId: 'u1',
          role: 'student',
          createdAt: '',
          username: 'sam',
          displayName: '=cmd',
        },
      ],
      runs,
    );
    expect(book.rows[0]?.scores['a1']).toBe(6);
    expect(book.rows[0]?.submissions['a1']).toBe(3);
    expect(book.assignments[0]?.maxScore).toBe(6);
    const csv = gradebookToCsv(book);
    expect(csv).toBe("username,display_name,a,total\r\nsam,'=cmd,6,6\r\n");
  });

  it('quotes cells with commas and quotes', () => {
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
  });
});

describe('roster CSV', () => {
  it('parses quoted fields and CRLF', () => {
    expect(parseCsv('a,"b,c"\r\n"d""e",f\n')).toEqual([
      ['a', 'b,c'],
      ['d"e', 'f'],
    ]);
  });

  it('maps columns by header, defaults role and name', () => {
    expect(parseRosterCsv('Username,Email\nann,ann@x.edu\n')).toEqual([
      { username: 'ann', displayName: 'ann', email: 'ann@x.edu', role: 'student' },
    ]);
  });

  it('names the bad line', () => {
    expect(() => parseRosterCsv('username\nok\nnot ok!\n')).toThrow(/Line 3/);
    expect(() => parseRosterCsv('name\nann\n')).toThrow(/username/);
    expect(() => parseRosterCsv('username\nann\nann\n')).toThrow(/twice/);
  });
});
