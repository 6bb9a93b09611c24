import { accessSync, constants } from 'node:fs';

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
  };
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
