/**
 * The Aperture harness: runs inside the sandbox container, once per job.
 * Reads one job (stdin or APERTURE_JOB_FILE), runs it, prints exactly one result frame on
 * stdout and exits 0. Diagnostics go to stderr. Wiring only; the work is in the modules.
 */
import { frameResult, HARNESS_PROTOCOL_VERSION, type HarnessResult } from '@aperture/core';
import { checkIsolation, checkRunlimit, configFromEnv } from './config.ts';
import { createExecutor } from './execute.ts';
import { parseJob, readJobText } from './job-input.ts';
import { runJob } from './run-job.ts';
import { giveTree } from './workspace.ts';

async function main(): Promise<void> {
  const config = configFromEnv();
  // Not needed again; children never get APERTURE_* variables anyway (config.childEnvironment).
  delete process.env['APERTURE_JOB_KEY'];
  let nonce = 'unknown';
  let result: HarnessResult;
  try {
    const parsed = parseJob(await readJobText(config.jobFile, config.jobKey));
    if (!parsed.ok) {
      nonce = parsed.nonce ?? nonce;
      result = internalError(parsed.message);
    } else {
      nonce = parsed.job.nonce;
      const { isolation } = config;
      const missing = checkRunlimit(config.runlimit) ?? checkIsolation(isolation);
      const dirs = { workDir: config.workDir, autograderDir: config.autograderDir };
      result = missing
        ? internalError(missing)
        : await runJob(parsed.job, {
            ...dirs,
            supportDir: config.supportDir,
            env: config.childEnv,
            execute: createExecutor({ runlimit: config.runlimit, sandbox: config.sandbox, isolation, dirs }),
            ...(isolation && {
              giveToPrograms: (path: string) => giveTree(path, isolation.programUid, isolation.programGid),
            }),
          });
    }
  } catch (error) {
    console.error('aperture-harness:', error);
    result = internalError(`The harness failed: ${(error as Error).message ?? String(error)}`);
  }
  process.stdout.write(frameResult(result, nonce), () => process.exit(0));
}

function internalError(message: string): HarnessResult {
  return {
    version: HARNESS_PROTOCOL_VERSION,
    status: 'internal_error',
    message,
    tests: [],
    score: 0,
    maxScore: 0,
  };
}

void main();
