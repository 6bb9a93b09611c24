import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  HARNESS_PROTOCOL_VERSION,
  type HarnessJob,
  type HarnessResult,
  type TestResult,
  type Verdict,
} from '@aperture/core';
import type { Executor } from './execute.ts';
import { mapGradescopeResults } from './gradescope.ts';
import { emptyOutcome, toOutcome } from './outcome.ts';
import { isLimitVerdict, judgeExecution } from './verdict.ts';
import { copyExecutable, writeFiles } from './workspace.ts';

export interface AutograderContext {
  root: string;
  execute: Executor;
  env: NodeJS.ProcessEnv;
  giveToPrograms?: ((path: string) => void) | undefined;
}

/**
 * Gradescope mode: the layout Gradescope autograders expect under /autograder, then
 * `run_autograder` grades and writes results/results.json.
 */
export async function runAutograder(
  job: HarnessJob & { autograder: NonNullable<HarnessJob['autograder']> },
  { root, execute, env, giveToPrograms }: AutograderContext,
): Promise<HarnessResult> {
  const source = join(root, 'source');
  writeFiles(source, job.autograder.files, 0o755);
  writeFiles(join(root, 'submission'), job.files, 0o644);
  mkdirSync(join(root, 'results'), { recursive: true });
  if (!existsSync(join(source, 'run_autograder'))) {
    // The assignment is set up wrong: never the student's fault.
    return failure('The autograder has no run_autograder file at its top level.');
  }
  copyExecutable(join(source, 'run_autograder'), join(root, 'run_autograder'));
  // As on Gradescope, the autograder owns its whole layout (it writes results/ and often source/).
  giveToPrograms?.(root);

  const limits = job.autograder.limits;
  const result = await execute({
    command: './run_autograder',
    cwd: root,
    stdin: '',
    limits,
    env: { ...env, HOME: root },
    places: { kind: 'autograder' },
    killOnOutputLimit: false,
  });
  const judged = judgeExecution(result, limits);
  const execution = {
    ...toOutcome(result),
    verdict: judged.verdict === 'ok' ? ('accepted' as const) : judged.verdict,
  };
  const base: HarnessResult = {
    version: HARNESS_PROTOCOL_VERSION,
    status: 'ok',
    execution,
    tests: [],
    score: 0,
    maxScore: 0,
  };

  if (isLimitVerdict(judged.verdict)) {
    return { ...base, tests: [autograderTest(judged.verdict, `run_autograder: ${judged.message}`)] };
  }
  const mapped = readResults(join(root, 'results', 'results.json'));
  if (!mapped.ok) {
    const exit = judged.verdict === 'ok' ? '' : ` (${judged.message})`;
    return {
      ...base,
      tests: [
        autograderTest(
          'runtime_error',
          `run_autograder did not write a valid results.json: ${mapped.reason}${exit}`,
        ),
      ],
    };
  }
  return {
    ...base,
    tests: mapped.tests,
    score: mapped.score,
    maxScore: mapped.maxScore,
    gradescope: mapped.gradescope,
  };
}

function readResults(path: string): ReturnType<typeof mapGradescopeResults> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { ok: false, reason: 'the file does not exist' };
  }
  return mapGradescopeResults(text);
}

function autograderTest(verdict: Verdict, message: string): TestResult {
  return { ...emptyOutcome(), name: 'autograder', verdict, points: 0, maxPoints: 0, message };
}

function failure(message: string): HarnessResult {
  return {
    version: HARNESS_PROTOCOL_VERSION,
    status: 'internal_error',
    message,
    tests: [],
    score: 0,
    maxScore: 0,
  };
}
