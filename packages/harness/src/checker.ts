import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKER_WALL_MS, type Limits } from '@aperture/core';
import { type Comparison, checkerVerdict } from './compare.ts';
import type { Executor } from './execute.ts';
import { shellQuote } from './shell.ts';
import { judgeExecution } from './verdict.ts';

const MiB = 1024 * 1024;

/** A checker is the assignment's code: generous limits, and any failure of it is not the student's. */
export const CHECKER_LIMITS: Readonly<Limits> = Object.freeze({
  cpuMs: 10_000,
  wallMs: CHECKER_WALL_MS,
  memoryBytes: 512 * MiB,
  pids: 64,
  outputBytes: 64 * 1024,
  fileSizeBytes: 16 * MiB,
  network: false,
});

export interface CheckerRequest {
  command: string;
  supportDir: string;
  input: string;
  expected: string;
  actual: Buffer;
  env: NodeJS.ProcessEnv;
}

/** Run `<command> input expected actual` via sh in the support dir. */
export async function runChecker(execute: Executor, request: CheckerRequest): Promise<Comparison> {
  // Fresh files per test, removed right after: a later test's program must not read them.
  const dir = mkdtempSync(join(tmpdir(), 'aperture-check-'));
  try {
    const input = join(dir, 'input');
    const expected = join(dir, 'expected');
    const actual = join(dir, 'actual');
    writeFileSync(input, request.input);
    writeFileSync(expected, request.expected);
    writeFileSync(actual, request.actual);
    const result = await execute({
      command: `${request.command} ${[input, expected, actual].map(shellQuote).join(' ')}`,
      cwd: request.supportDir,
      stdin: '',
      limits: CHECKER_LIMITS,
      env: request.env,
      // Its own copies of its files and of the test's: nothing the student's program can reach.
      places: { kind: 'checker', dirs: [request.supportDir, dir] },
      killOnOutputLimit: true,
    });
    const judged = judgeExecution(result, CHECKER_LIMITS);
    const exitedNormally =
      judged.verdict === 'ok' || (judged.verdict === 'runtime_error' && result.report.exitCode === 1);
    if (!exitedNormally) {
      return {
        verdict: 'internal_error',
        message: `The checker failed: ${judged.message ?? judged.verdict}`,
      };
    }
    return checkerVerdict(result.report.exitCode, result.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
