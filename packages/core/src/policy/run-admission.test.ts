import { describe, expect, it } from 'vitest';
import type { RunSpec } from '../domain/entities.ts';
import { findLanguage } from '../domain/languages.ts';
import type { TestCase } from '../domain/tests.ts';
import { ValidationError } from '../errors.ts';
import { bookingOf, checkAdhocCeilings, DEFAULT_ADMISSION_POLICY, runnerClass } from './run-admission.ts';

const spec = (overrides: Partial<RunSpec> = {}): RunSpec => ({
  language: 'python',
  files: [{ path: 'main.py', contentBase64: '' }],
  mainFile: 'main.py',
  stdin: '',
  tests: [],
  limits: {},
  supportFiles: [],
  autograder: null,
  ...overrides,
});
const tests = (n: number, extra: Partial<TestCase> = {}): TestCase[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `t${i}`,
    stdin: '',
    expectedOutput: '',
    comparator: { kind: 'exact' },
    points: 1,
    visibility: 'visible',
    ...extra,
  }));
const python = findLanguage('python')!;
const c = findLanguage('c')!;

describe('bookingOf', () => {
  it.each([
    ['python, no tests: the one run at the default 10 s', spec(), python, 10_000, 0, 10_000],
    ['c, no tests: + the 30 s compile budget', spec(), c, 10_000, 0, 40_000],
    ['python, 3 tests at 2 s', spec({ tests: tests(3), limits: { wallMs: 2_000 } }), python, 2_000, 3, 6_000],
    [
      'a test’s own limit wins over the run’s, and the largest counts',
      spec({ tests: [...tests(1), ...tests(1, { limits: { wallMs: 5_000 } })], limits: { wallMs: 1_000 } }),
      python,
      5_000,
      2,
      6_000,
    ],
    [
      'limits are clamped to the global maximum first',
      spec({ limits: { wallMs: 10_000_000 } }),
      python,
      120_000,
      0,
      120_000,
    ],
    [
      'a checker test books the checker’s 20 s too',
      spec({ tests: tests(1, { comparator: { kind: 'checker', command: 'x' } }) }),
      python,
      10_000,
      1,
      30_000,
    ],
  ] as const)('%s', (_name, s, language, testWallMs, n, bookedMs) => {
    expect(bookingOf(s, language)).toEqual({ testWallMs, tests: n, bookedMs });
  });
});

describe('checkAdhocCeilings', () => {
  const check = (s: RunSpec, runner: 'student' | 'staff' | 'admin') =>
    checkAdhocCeilings(bookingOf(s, python), runner, DEFAULT_ADMISSION_POLICY);
  const refusal = (s: RunSpec, runner: 'student' | 'staff' | 'admin') => {
    try {
      check(s, runner);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).details;
    }
    return undefined;
  };

  it.each([
    ['student, defaults', spec(), 'student', undefined],
    ['student, 11 s per test', spec({ limits: { wallMs: 11_000 } }), 'student', 'testWallMs'],
    ['student, 21 tests', spec({ tests: tests(21), limits: { wallMs: 1_000 } }), 'student', 'tests'],
    ['student, 6 × 10 s = 60 s', spec({ tests: tests(6) }), 'student', undefined],
    ['student, 7 × 10 s = 70 s', spec({ tests: tests(7) }), 'student', 'bookedMs'],
    ['staff, 7 × 10 s', spec({ tests: tests(7) }), 'staff', undefined],
    ['staff, 61 s per test', spec({ limits: { wallMs: 61_000 } }), 'staff', 'testWallMs'],
    [
      'admin, 200 tests × 120 s',
      spec({ tests: tests(200), limits: { wallMs: 120_000 } }),
      'admin',
      undefined,
    ],
  ] as const)('%s → %s', (_name, s, runner, limit) => {
    expect(refusal(s, runner)?.['limit']).toBe(limit);
  });

  it('names the limit, the ceiling and what was asked', () => {
    expect(() => check(spec({ limits: { wallMs: 120_000 } }), 'student')).toThrow(
      'may give a test at most 10 s of wall time; this one asks for 120 s',
    );
    expect(refusal(spec({ tests: tests(7) }), 'student')).toEqual({
      field: 'limits.wallMs',
      limit: 'bookedMs',
      ceiling: 60_000,
      requested: 70_000,
      runner: 'student',
    });
  });
});

describe('runnerClass', () => {
  it.each([
    [{ userId: 'u', role: 'admin' }, [], 'admin'],
    [{ userId: 'u', role: 'staff' }, [], 'staff'],
    [{ userId: 'u', role: 'user' }, ['student', 'ta'], 'staff'],
    [{ userId: 'u', role: 'user' }, ['student'], 'student'],
    [{ userId: 'u', role: 'user' }, [], 'student'],
  ] as const)('%o with course roles %o → %s', (actor, roles, expected) => {
    expect(runnerClass(actor, roles)).toBe(expected);
  });
});
