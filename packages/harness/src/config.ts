import { accessSync, constants, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IsolationConfig } from './isolation.ts';

export interface HarnessConfig {
  workDir: string;
  supportDir: string;
  autograderDir: string;
  runlimit: string;
  /** Inside the sandbox container: allows kill(-1) cleanup. */
  sandbox: boolean;
  jobFile: string | undefined;
  /** Opens a sealed job file (Kubernetes); never passed on to the programs the harness runs. */
  jobKey: string | undefined;
  /** Environment of the programs the harness runs (the harness's own, minus APERTURE_*). */
  childEnv: NodeJS.ProcessEnv;
  /** Set (APERTURE_ISOLATE=1) where the backend runs the harness as root in a user namespace. */
  isolation: IsolationConfig | undefined;
  /** APERTURE_SERVE=1: one job per line of stdin, many jobs per sandbox (isolated mode only). */
  serve: boolean;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): HarnessConfig {
  return {
    workDir: env['APERTURE_WORK_DIR'] || '/work',
    // The root filesystem is read-only: support files live on the /tmp tmpfs, each checker run in a
    // fresh, randomly named directory below this one (see withSupportFiles).
    supportDir: env['APERTURE_SUPPORT_DIR'] || '/tmp',
    autograderDir: env['APERTURE_AUTOGRADER_DIR'] || '/autograder',
    runlimit: env['APERTURE_RUNLIMIT'] || '/usr/local/bin/runlimit',
    sandbox: env['APERTURE_SANDBOX'] === '1',
    jobFile: env['APERTURE_JOB_FILE'] || undefined,
    jobKey: env['APERTURE_JOB_KEY'] || undefined,
    childEnv: childEnvironment(env),
    isolation:
      env['APERTURE_ISOLATE'] === '1'
        ? isolationFromEnv(env, false)
        : env['APERTURE_ISOLATE'] === 'userns'
          ? isolationFromEnv(env, true)
          : undefined,
    serve: env['APERTURE_SERVE'] === '1',
  };
}

const MiB = 1024 * 1024;

function isolationFromEnv(env: NodeJS.ProcessEnv, userns: boolean): IsolationConfig {
  // Without privileges the only id an execution can have is our own (its user namespace maps it).
  const own = { uid: process.getuid?.() ?? 1000, gid: process.getgid?.() ?? 1000 };
  return {
    userns,
    programUid: userns ? own.uid : 1000,
    programGid: userns ? own.gid : 1000,
    checkerUid: userns ? own.uid : 1001,
    checkerGid: userns ? own.gid : 1001,
    cgroupRoot: userns ? undefined : env['APERTURE_CGROUP_ROOT'] || undefined,
    scratchBytes: Number(env['APERTURE_SCRATCH_BYTES']) || 64 * MiB,
    workCopyBytes: filesystemBytes(env['APERTURE_WORK_DIR'] || '/work'),
    // The sealed job file's directory too (Kubernetes): useless without the key, but no program's business.
    hidden: ['/dev/mqueue', ...(env['APERTURE_JOB_FILE'] ? [dirname(env['APERTURE_JOB_FILE'])] : [])],
  };
}

/** Size of the filesystem holding `path` (the container's /work tmpfs); 0 if it cannot be read. */
function filesystemBytes(path: string): number {
  try {
    const stats = statfsSync(path);
    return stats.blocks * stats.bsize;
  } catch {
    return 0;
  }
}

/**
 * The isolated mode must really be what it says: root in the container's user namespace (or the
 * student's program would share our uid). Anything else is the backend's mistake, never a verdict.
 */
export function checkIsolation(
  isolation: IsolationConfig | undefined,
  uid = process.getuid?.(),
  requested = process.env['APERTURE_ISOLATE'],
): string | undefined {
  // A mode this harness does not know must not quietly become the plain mode (an older image).
  if (!isolation && requested)
    return `APERTURE_ISOLATE=${requested} is not a mode this harness knows (1, userns)`;
  if (!isolation) return undefined;
  if (isolation.userns)
    return uid !== 0 ? undefined : 'APERTURE_ISOLATE=userns needs the harness to run as a uid other than 0';
  return uid === 0
    ? undefined
    : `APERTURE_ISOLATE=1 needs the harness to run as root in the sandbox (uid ${uid})`;
}

/** The student's program sees the image's environment but none of the harness's settings. */
export function childEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('APERTURE_') && value !== undefined) result[key] = value;
  }
  result['PATH'] ??= '/usr/local/bin:/usr/bin:/bin';
  result['LANG'] ??= 'C.UTF-8';
  return result;
}

/** The helper must be there and executable, or nothing can run: that is the harness's failure. */
export function checkRunlimit(path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK);
    return undefined;
  } catch (error) {
    return `The runlimit helper is missing or not executable at ${path}: ${(error as Error).message}`;
  }
}
