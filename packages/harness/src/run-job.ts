import {
  type CompileResult,
  HARNESS_PROTOCOL_VERSION,
  type HarnessJob,
  type HarnessResult,
  type HarnessTest,
  type TestResult,
} from '@aperture/core';
import { runAutograder } from './autograder.ts';
import { runChecker } from './checker.ts';
import { compareOutput } from './compare.ts';
import type { Executor } from './execute.ts';
import { emptyOutcome, toOutcome } from './outcome.ts';
import { buildRunCommand } from './shell.ts';
import { isLimitVerdict, judgeExecution } from './verdict.ts';
import { withSupportFiles, writeFiles } from './workspace.ts';

export interface JobContext {
  workDir: string;
  supportDir: string;
  autograderDir: string;
  env: NodeJS.ProcessEnv;
  execute: Executor;
  /** Make a tree the harness wrote writable by the programs (isolated mode: another uid). */
  giveToPrograms?: (path: string) => void;
}

/** Run a whole job: files, then autograder or compile + tests (or one ad-hoc run). */
export async function runJob(job: HarnessJob, context: JobContext): Promise<HarnessResult> {
  const { workDir, supportDir, execute } = context;
  const env = { ...context.env, HOME: workDir };

  if (job.autograder) {
    return runAutograder(
      { ...job, autograder: job.autograder },
      { root: context.autograderDir, execute, env, giveToPrograms: context.giveToPrograms },
    );
  }

  writeFiles(workDir, job.files, 0o644);

  const result: HarnessResult = {
    version: HARNESS_PROTOCOL_VERSION,
    status: 'ok',
    tests: [],
    score: 0,
    maxScore: 0,
  };

  if (job.language.compile) {
    result.compile = await compile(job, job.language.compile, context, env);
    if (result.compile.verdict === 'compile_error') {
      result.tests = job.tests.map(skippedTest);
      result.maxScore = sum(job.tests.map((t) => t.points));
      return result;
    }
  }

  const command = (args: readonly string[]) => buildRunCommand(job.language.run, job.language.mainFile, args);

  if (job.tests.length === 0) {
    const ran = await execute({
      command: command([]),
      cwd: workDir,
      stdin: job.stdin,
      limits: job.runLimits,
      env,
      places: { kind: 'program' },
      killOnOutputLimit: true,
    });
    const judged = judgeExecution(ran, job.runLimits);
    result.execution = { ...toOutcome(ran), verdict: judged.verdict === 'ok' ? 'accepted' : judged.verdict };
    return result;
  }

  for (const test of job.tests) {
    const ran = await execute({
      command: command(test.args),
      cwd: workDir,
      stdin: test.stdin,
      limits: test.limits,
      env,
      places: { kind: 'program' },
      killOnOutputLimit: true,
    });
    const judged = judgeExecution(ran, test.limits);
    const testResult: TestResult = {
      ...toOutcome(ran),
      name: test.name,
      verdict: 'accepted',
      points: 0,
      maxPoints: test.points,
    };
    if (judged.verdict !== 'ok') {
      testResult.verdict = judged.verdict;
      if (judged.message) testResult.message = judged.message;
    } else {
      const comparator = test.comparator;
      const comparison =
        comparator.kind === 'checker'
          ? await withSupportFiles(supportDir, job.supportFiles, (dir) =>
              runChecker(execute, {
                command: comparator.command,
                supportDir: dir,
                input: test.stdin,
                expected: test.expectedOutput,
                actual: ran.stdoutBytes,
                // No user site-packages: nothing the student left in a home dir may load.
                env: { ...context.env, HOME: dir, PYTHONNOUSERSITE: '1' },
              }),
            )
          : compareOutput(comparator, ran.stdout, test.expectedOutput);
      testResult.verdict = comparison.verdict;
      if (comparison.message) testResult.message = comparison.message;
    }
    if (testResult.verdict === 'accepted') testResult.points = test.points;
    result.tests.push(testResult);
  }
  result.score = sum(result.tests.map((t) => t.points));
  result.maxScore = sum(job.tests.map((t) => t.points));
  return result;
}

async function compile(
  job: HarnessJob,
  command: string,
  context: JobContext,
  env: NodeJS.ProcessEnv,
): Promise<CompileResult> {
  const ran = await context.execute({
    command,
    cwd: context.workDir,
    stdin: '',
    limits: job.compileLimits,
    env,
    places: { kind: 'compile' },
    // Keep the first part of a flood of compiler errors rather than stopping the compiler.
    killOnOutputLimit: false,
  });
  const judged = judgeExecution(ran, job.compileLimits);
  if (judged.verdict === 'ok') return { ...toOutcome(ran), verdict: 'ok' };
  const why =
    judged.verdict === 'wall_time_limit_exceeded'
      ? `Compilation stopped: wall-clock time limit of ${job.compileLimits.wallMs / 1000} s exceeded.`
      : judged.verdict === 'runtime_error' &&
          ran.report.exitCode !== null &&
          ran.report.signal === null &&
          ran.report.exitCode < 128
        ? `Compilation failed with exit code ${ran.report.exitCode}.`
        : `Compilation ${isLimitVerdict(judged.verdict) ? 'stopped' : 'failed'}: ${judged.message ?? judged.verdict}`;
  return { ...toOutcome(ran), verdict: 'compile_error', message: why };
}

function skippedTest(test: HarnessTest): TestResult {
  return {
    ...emptyOutcome(),
    name: test.name,
    verdict: 'skipped',
    points: 0,
    maxPoints: test.points,
    message: 'Not run: the program did not compile.',
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
