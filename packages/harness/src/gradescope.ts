import type { HarnessResult, ResultVisibility, TestResult } from '@aperture/core';

/**
 * Map a Gradescope `results.json` (https://gradescope-autograders.readthedocs.io/en/latest/specs/)
 * to Aperture's result. Pure.
 *
 * Per test: `score` → points, `max_score` → maxPoints, `output` → message and stdout,
 * `visibility`, and `status` ("passed"/"failed") when given, else accepted when score ≥ max_score.
 * Top level: `score` overrides the sum of the tests; `output`, `visibility`, `stdout_visibility`,
 * `execution_time`, `extra_data` are kept for export.
 */
export type MappedResults =
  | {
      ok: true;
      tests: TestResult[];
      score: number;
      maxScore: number;
      gradescope: NonNullable<HarnessResult['gradescope']>;
    }
  | { ok: false; reason: string };

const VISIBILITIES: readonly ResultVisibility[] = ['visible', 'hidden', 'after_due_date', 'after_published'];

export function mapGradescopeResults(text: string): MappedResults {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `it is not valid JSON (${(error as Error).message})` };
  }
  if (!isRecord(value)) return { ok: false, reason: 'it is not a JSON object' };
  const topScore = value['score'] === undefined ? undefined : toNumber(value['score']);
  if (topScore === null) return { ok: false, reason: '"score" is not a number' };
  const rawTests = value['tests'] ?? [];
  if (!Array.isArray(rawTests)) return { ok: false, reason: '"tests" is not a list' };
  if (topScore === undefined && rawTests.length === 0) {
    return { ok: false, reason: 'it has neither a "score" nor any "tests"' };
  }
  const topVisibility = visibility(value['visibility']);

  const tests: TestResult[] = [];
  for (const [index, raw] of rawTests.entries()) {
    if (!isRecord(raw)) return { ok: false, reason: `test ${index + 1} is not a JSON object` };
    const score = raw['score'] === undefined ? undefined : toNumber(raw['score']);
    const maxScore = raw['max_score'] === undefined ? undefined : toNumber(raw['max_score']);
    if (score === null) return { ok: false, reason: `test ${index + 1} has a "score" that is not a number` };
    if (maxScore === null)
      return { ok: false, reason: `test ${index + 1} has a "max_score" that is not a number` };
    if (score === undefined && topScore === undefined) {
      return { ok: false, reason: `test ${index + 1} has no "score" and there is no top-level "score"` };
    }
    const status = raw['status'];
    const passed = status === 'passed' ? true : status === 'failed' ? false : (score ?? 0) >= (maxScore ?? 0);
    const output = typeof raw['output'] === 'string' ? raw['output'] : '';
    const testVisibility = visibility(raw['visibility']) ?? topVisibility;
    const test: TestResult = {
      name: testName(raw, index),
      verdict: passed ? 'accepted' : 'wrong_answer',
      points: score ?? 0,
      maxPoints: maxScore ?? 0,
      stdout: output,
      stderr: '',
      exitCode: null,
      signal: null,
      timeMs: 0,
      wallMs: 0,
      memoryBytes: 0,
      truncated: false,
    };
    if (output) test.message = output;
    if (testVisibility) test.visibility = testVisibility;
    tests.push(test);
  }

  const gradescope: NonNullable<HarnessResult['gradescope']> = {};
  if (typeof value['output'] === 'string') gradescope.output = value['output'];
  if (topVisibility) gradescope.visibility = topVisibility;
  const stdoutVisibility = visibility(value['stdout_visibility']);
  if (stdoutVisibility) gradescope.stdoutVisibility = stdoutVisibility;
  const executionTime = toNumber(value['execution_time']);
  if (typeof executionTime === 'number') gradescope.executionTime = executionTime;
  if (value['extra_data'] !== undefined) gradescope.extraData = value['extra_data'];

  return {
    ok: true,
    tests,
    score: topScore ?? sum(tests.map((t) => t.points)),
    maxScore: sum(tests.map((t) => t.maxPoints)),
    gradescope,
  };
}

function testName(raw: Record<string, unknown>, index: number): string {
  const name = typeof raw['name'] === 'string' && raw['name'].trim() ? raw['name'] : undefined;
  const number =
    typeof raw['number'] === 'string' || typeof raw['number'] === 'number'
      ? String(raw['number'])
      : undefined;
  if (name && number) return `${number} ${name}`;
  return name ?? `Test ${number ?? index + 1}`;
}

function visibility(value: unknown): ResultVisibility | undefined {
  return VISIBILITIES.find((v) => v === value);
}

/** Numbers, or numeric strings (some autograders write "10"); null when present but not numeric. */
function toNumber(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return undefined;
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim()
        ? Number(value)
        : Number.NaN;
  return Number.isFinite(number) ? number : null;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
