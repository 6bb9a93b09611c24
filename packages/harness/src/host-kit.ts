/**
 * Support for the host integration tests (`*.host.test.ts`): compile runlimit with the host's
 * gcc, run the harness's main.ts with tsx on a job, parse its frame. Never sets
 * APERTURE_SANDBOX: on a developer's machine the harness must not kill(-1).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_COMPILE_LIMITS,
  DEFAULT_LIMITS,
  type HarnessJob,
  type HarnessResult,
  type HarnessTest,
  type Limits,
  parseFramedResult,
} from '@aperture/core';

const here = dirname(fileURLToPath(import.meta.url));
export const HARNESS_MAIN = join(here, 'main.ts');
export const RUNLIMIT_SOURCE = join(here, '..', 'native', 'runlimit.c');

export function buildRunlimit(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aperture-runlimit-'));
  const binary = join(dir, 'runlimit');
  execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', binary, RUNLIMIT_SOURCE]);
  return binary;
}

export const b64 = (text: string): string => Buffer.from(text).toString('base64');

export const fastLimits = (patch: Partial<Limits> = {}): Limits => ({
  ...DEFAULT_LIMITS,
  cpuMs: 2_000,
  wallMs: 4_000,
  ...patch,
});

export function testCase(patch: Partial<HarnessTest> & { expectedOutput: string }): HarnessTest {
  return {
    name: 'test',
    stdin: '',
    comparator: { kind: 'exact' },
    points: 1,
    limits: fastLimits(),
    args: [],
    ...patch,
  };
}

export function makeJob(patch: Partial<HarnessJob> = {}): HarnessJob {
  return {
    version: 1,
    runId: 'run_test',
    nonce: `nonce${Math.random().toString(36).slice(2)}`,
    language: { id: 'python', run: 'python3 -u {main}', mainFile: 'main.py' },
    files: [],
    supportFiles: [],
    compileLimits: DEFAULT_COMPILE_LIMITS,
    stdin: '',
    runLimits: fastLimits(),
    tests: [],
    ...patch,
  };
}

export interface HarnessRun {
  result: HarnessResult | undefined;
  frameError: string | undefined;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  elapsedMs: number;
  dirs: { work: string; support: string; autograder: string };
}

/** Run the harness once on `input` (a job, or raw text) with fresh temp dirs. */
export function runHarness(
  input: HarnessJob | string,
  options: { runlimit: string; env?: Record<string, string>; nonce?: string } = { runlimit: '' },
): Promise<HarnessRun> {
  const base = mkdtempSync(join(tmpdir(), 'aperture-harness-'));
  const dirs = {
    work: join(base, 'work'),
    support: join(base, 'support'),
    autograder: join(base, 'autograder'),
  };
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['APERTURE_SANDBOX'];
  delete env['APERTURE_JOB_FILE'];
  Object.assign(env, {
    APERTURE_WORK_DIR: dirs.work,
    APERTURE_SUPPORT_DIR: dirs.support,
    APERTURE_AUTOGRADER_DIR: dirs.autograder,
    APERTURE_RUNLIMIT: options.runlimit,
    ...options.env,
  });
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  const nonce = options.nonce ?? (typeof input === 'string' ? 'unknown' : input.nonce);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', HARNESS_MAIN], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.stdin.end(text);
    child.on('close', (exitCode) => {
      const parsed = parseFramedResult(stdout, nonce);
      resolve({
        result: parsed.ok ? parsed.result : undefined,
        frameError: parsed.ok ? undefined : parsed.reason,
        stdout,
        stderr,
        exitCode,
        elapsedMs: Date.now() - started,
        dirs,
      });
    });
  });
}
