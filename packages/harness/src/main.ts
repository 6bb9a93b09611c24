/**
 * The Aperture harness: runs inside the sandbox container.
 * Reads one job (stdin or APERTURE_JOB_FILE), runs it, prints exactly one result frame on stdout
 * and exits 0. In the serve mode (APERTURE_SERVE=1, isolated sandboxes only: ADR 0006) it reads one
 * job per line of stdin instead, one after another, wiping its own places between jobs, until stdin
 * ends. Diagnostics go to stderr. Wiring only; the work is in the modules.
 */
import { frameResult, HARNESS_PROTOCOL_VERSION, type HarnessResult } from '@aperture/core';
import { checkIsolation, checkRunlimit, configFromEnv, type HarnessConfig } from './config.ts';
import { createExecutor } from './execute.ts';
import { parseJob, readJobLines, readJobText } from './job-input.ts';
import { runJob } from './run-job.ts';
import { emptyDirectory, giveTree } from './workspace.ts';

async function main(): Promise<void> {
  const config = configFromEnv();
  // Not needed again; children never get APERTURE_* variables anyway (config.childEnvironment).
  delete process.env['APERTURE_JOB_KEY'];
  if (config.serve && config.isolation) {
    for await (const line of readJobLines()) {
      const { text, failed } = await handle(config, line);
      await write(text);
      // Anything that went wrong may have left state behind: this sandbox serves no further job.
      if (failed || !wipe(config)) break;
    }
    process.exit(0);
  }
  const job = await readJobText(config.jobFile, config.jobKey).catch((error: Error) => error);
  const { text } = await handle(config, job);
  process.stdout.write(text, () => process.exit(0));
}

/** One job, start to frame. Never throws: a failure of ours is an internal-error frame. */
async function handle(
  config: HarnessConfig,
  job: string | Error,
): Promise<{ text: string; failed: boolean }> {
  let nonce = 'unknown';
  let result: HarnessResult;
  try {
    if (job instanceof Error) throw job; // reading it failed (a sealed job that does not open, …)
    const parsed = parseJob(job);
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
  return { text: frameResult(result, nonce), failed: result.status !== 'ok' };
}

/** Between two jobs: nothing of the last one may stay where the next one looks. */
function wipe(config: HarnessConfig): boolean {
  try {
    for (const dir of [config.workDir, config.autograderDir, config.supportDir]) emptyDirectory(dir);
    return true;
  } catch (error) {
    console.error('aperture-harness: could not wipe between jobs:', error);
    return false;
  }
}

function write(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(text, () => resolve()));
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
