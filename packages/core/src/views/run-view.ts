import type { Assignment, Run } from '../domain/entities.ts';
import type { ResultVisibility, TestResult } from '../domain/harness-protocol.ts';
import type { Verdict } from '../domain/verdicts.ts';

/**
 * What one viewer may see of a run. Staff see everything. A student sees visible tests in full;
 * hidden tests (and `after_due_date` ones before the deadline) are left out, with only their count
 * and points summed, so the score they see is honest about what it covers.
 */
export interface RunView {
  id: string;
  kind: Run['kind'];
  userId: string;
  courseId: string | null;
  assignmentId: string | null;
  language: string;
  status: Run['status'];
  verdict: Verdict | null;
  score: number | null;
  maxScore: number | null;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  timeMs: number | null;
  memoryBytes: number | null;
  compile: { verdict: 'ok' | 'compile_error'; output: string } | null;
  tests: TestView[];
  hiddenTests: { count: number; score: number; maxScore: number } | null;
  message: string | null;
  files: Array<{ path: string; size: number }>;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface TestView {
  name: string;
  verdict: Verdict;
  points: number;
  maxPoints: number;
  timeMs: number;
  wallMs: number;
  memoryBytes: number;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  message: string | null;
  truncated: boolean;
  stdin: string | null;
  expectedOutput: string | null;
}

export interface Viewer {
  isStaff: boolean;
  now: Date;
}

const INTERNAL_MESSAGE = 'Aperture could not run this submission (not your fault); it was not graded.';

export function viewRun(run: Run, assignment: Assignment | undefined, viewer: Viewer): RunView {
  const result = run.result;
  const deadlinePassed = assignment?.deadline ? viewer.now >= new Date(assignment.deadline) : false;
  const allTests = (result?.tests ?? []).map((test, index) => ({
    test,
    visibility: visibilityOf(test, index, run),
    source: run.spec.tests[index],
  }));
  const shown = allTests.filter(({ visibility }) => viewer.isStaff || isShown(visibility, deadlinePassed));
  const hidden = allTests.filter((entry) => !shown.includes(entry));
  const execution = result?.execution;
  const firstTest = result?.tests[0];
  // An autograder's own stdout often prints hidden tests' diffs: Gradescope hides it from students
  // unless the autograder sets stdout_visibility (default hidden).
  const autograderOutputHidden =
    run.spec.autograder !== null &&
    !viewer.isStaff &&
    !isShown(result?.gradescope?.stdoutVisibility ?? 'hidden', deadlinePassed);
  const stdoutSource = autograderOutputHidden
    ? undefined
    : (execution ?? (result?.tests.length === 1 && shown.length === 1 ? firstTest : undefined));
  const showFullScore = viewer.isStaff || hidden.length === 0;
  return {
    id: run.id,
    kind: run.kind,
    userId: run.userId,
    courseId: run.courseId,
    assignmentId: run.assignmentId,
    language: run.spec.language,
    status: run.status,
    verdict:
      viewer.isStaff || hidden.length === 0
        ? run.verdict
        : verdictOf(
            shown.map((e) => e.test),
            run,
          ),
    score: showFullScore ? run.score : sum(shown.map((e) => e.test.points)),
    maxScore: showFullScore ? run.maxScore : sum(shown.map((e) => e.test.maxPoints)),
    stdout: stdoutSource?.stdout ?? '',
    stderr: stdoutSource?.stderr ?? '',
    exitCode: stdoutSource?.exitCode ?? null,
    timeMs: execution?.timeMs ?? maxOf(shown.map((e) => e.test.timeMs)),
    memoryBytes: execution?.memoryBytes ?? maxOf(shown.map((e) => e.test.memoryBytes)),
    compile: result?.compile
      ? { verdict: result.compile.verdict, output: `${result.compile.stdout}${result.compile.stderr}` }
      : null,
    tests: shown.map(({ test, source, visibility }) =>
      toTestView(test, source, viewer.isStaff || visibility === 'visible'),
    ),
    hiddenTests:
      hidden.length === 0
        ? null
        : {
            count: hidden.length,
            score: sum(hidden.map((e) => e.test.points)),
            maxScore: sum(hidden.map((e) => e.test.maxPoints)),
          },
    message: messageFor(run, viewer),
    files: run.spec.files.map((f) => ({ path: f.path, size: Buffer.from(f.contentBase64, 'base64').length })),
    attempts: run.attempts,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
  };
}

/**
 * From the run's own snapshot of its tests, never the assignment's current list: after an edit
 * reorders or re-labels tests, an old run's hidden test must stay hidden.
 */
function visibilityOf(test: TestResult, index: number, run: Run): ResultVisibility {
  if (test.visibility) return test.visibility;
  return run.spec.tests[index]?.visibility ?? 'hidden';
}

function isShown(visibility: ResultVisibility, deadlinePassed: boolean): boolean {
  if (visibility === 'visible') return true;
  if (visibility === 'after_due_date' || visibility === 'after_published') return deadlinePassed;
  return false;
}

function toTestView(
  test: TestResult,
  source: Run['spec']['tests'][number] | undefined,
  showIo: boolean,
): TestView {
  return {
    name: test.name,
    verdict: test.verdict,
    points: test.points,
    maxPoints: test.maxPoints,
    timeMs: test.timeMs,
    wallMs: test.wallMs,
    memoryBytes: test.memoryBytes,
    stdout: test.stdout,
    stderr: test.stderr,
    exitCode: test.exitCode,
    signal: test.signal,
    message: test.message ?? null,
    truncated: test.truncated,
    stdin: showIo && source ? source.stdin : null,
    expectedOutput: showIo && source ? source.expectedOutput : null,
  };
}

function verdictOf(tests: TestResult[], run: Run): Verdict | null {
  if (run.verdict === null || run.verdict === 'compile_error' || run.verdict === 'internal_error')
    return run.verdict;
  // Judged on the visible tests only: the overall verdict must not reveal a hidden test's failure.
  const failing = tests.find((t) => t.verdict !== 'accepted' && t.verdict !== 'skipped');
  return failing?.verdict ?? 'accepted';
}

function messageFor(run: Run, viewer: Viewer): string | null {
  if (run.status === 'failed') return viewer.isStaff ? (run.error ?? INTERNAL_MESSAGE) : INTERNAL_MESSAGE;
  return run.result?.message ?? null;
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
const maxOf = (values: number[]): number | null => (values.length === 0 ? null : Math.max(...values));
