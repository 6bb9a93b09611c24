import type { SandboxSpec } from '../ports.ts';
import type { Run } from './entities.ts';
import type { HarnessJob, HarnessTest } from './harness-protocol.ts';
import { HARNESS_PROTOCOL_VERSION } from './harness-protocol.ts';
import type { Language } from './languages.ts';
import { DEFAULT_COMPILE_LIMITS, DEFAULT_LIMITS, envelopeOf, type Limits, resolveLimits } from './limits.ts';

const MiB = 1024 * 1024;
/** Memory the harness (Node) needs beside the student's program. */
export const HARNESS_MEMORY_OVERHEAD = 96 * MiB;
/** Threads of the harness and its init, counted by the pids limit too. */
export const HARNESS_PIDS_OVERHEAD = 32;
/** Extra wall time for sandbox start-up and teardown before the backend gives up on a job. */
export const SANDBOX_DEADLINE_SLACK_MS = 30_000;
/** Wall-time cap of one checker run inside the harness (packages/harness/src/checker.ts). */
export const CHECKER_WALL_MS = 20_000;

/** Turn a stored run into the job the harness executes. Pure: the same run gives the same job. */
export function buildHarnessJob(
  run: Pick<Run, 'id' | 'spec'>,
  language: Language,
  nonce: string,
): HarnessJob {
  const runLimits = resolveLimits(DEFAULT_LIMITS, run.spec.limits);
  const tests: HarnessTest[] = run.spec.tests.map((test) => ({
    name: test.name,
    stdin: test.stdin,
    expectedOutput: test.expectedOutput,
    comparator: test.comparator,
    points: test.points,
    limits: resolveLimits(DEFAULT_LIMITS, run.spec.limits, test.limits),
    args: test.args ?? [],
  }));
  const job: HarnessJob = {
    version: HARNESS_PROTOCOL_VERSION,
    runId: run.id,
    nonce,
    language: {
      id: language.id,
      run: language.run,
      mainFile: run.spec.mainFile,
      ...(language.compile ? { compile: language.compile } : {}),
    },
    files: run.spec.files,
    supportFiles: run.spec.supportFiles,
    compileLimits: resolveLimits(DEFAULT_COMPILE_LIMITS, { network: runLimits.network }),
    stdin: run.spec.stdin,
    runLimits,
    tests,
  };
  if (run.spec.autograder) {
    // An autograder runs the whole suite in one go: give it the sum of the per-test wall time.
    const autograderLimits = resolveLimits(DEFAULT_LIMITS, run.spec.limits, {
      cpuMs: Math.max(runLimits.cpuMs * 4, 20_000),
      wallMs: Math.max(runLimits.wallMs * 4, 40_000),
    });
    job.autograder = { files: run.spec.autograder.files, limits: autograderLimits };
  }
  return job;
}

/**
 * The sandbox of a run with default limits and no tests, which most runs fit: what a backend
 * pre-starts for its warm pool. Pure, and equal to what sandboxFor gives such a run.
 */
export function defaultSandboxFor(language: Language): SandboxSpec {
  const runLimits = resolveLimits(DEFAULT_LIMITS);
  const job: HarnessJob = {
    version: HARNESS_PROTOCOL_VERSION,
    runId: 'pool',
    nonce: 'pool',
    language: {
      id: language.id,
      run: language.run,
      mainFile: language.defaultMainFile,
      ...(language.compile ? { compile: language.compile } : {}),
    },
    files: [],
    supportFiles: [],
    compileLimits: resolveLimits(DEFAULT_COMPILE_LIMITS, { network: false }),
    stdin: '',
    runLimits,
    tests: [],
  };
  return sandboxFor(job, language);
}

/** The sandbox that fits every step of the job, plus the harness itself. */
export function sandboxFor(job: HarnessJob, language: Language): SandboxSpec {
  const steps: Limits[] = [job.runLimits, ...job.tests.map((t) => t.limits)];
  if (job.language.compile) steps.push(job.compileLimits);
  if (job.autograder) steps.push(job.autograder.limits);
  const envelope = envelopeOf(steps);
  const totalWall = bookedWallMs(job);
  return {
    image: language.image,
    memoryBytes: envelope.memoryBytes + HARNESS_MEMORY_OVERHEAD,
    pids: envelope.pids + HARNESS_PIDS_OVERHEAD,
    cpus: 1,
    network: envelope.network,
    workDirBytes: Math.max(64 * MiB, envelope.fileSizeBytes * 2),
    deadlineMs: totalWall + SANDBOX_DEADLINE_SLACK_MS,
  };
}

/**
 * The wall time a job may take at most, every step at its limit: compile, autograder, each test
 * (or the one run without tests) and each checker. What a run books of a slot; the sandbox
 * deadline is this plus start-up slack, and the admission ceilings (policy/run-admission.ts) cap it.
 */
export function bookedWallMs(job: HarnessJob): number {
  return (
    (job.language.compile ? job.compileLimits.wallMs : 0) +
    (job.autograder ? job.autograder.limits.wallMs : 0) +
    (job.tests.length > 0 ? job.tests.reduce((sum, t) => sum + t.limits.wallMs, 0) : job.runLimits.wallMs) +
    job.tests.filter((t) => t.comparator.kind === 'checker').length * CHECKER_WALL_MS
  );
}
