import type { Limits } from '@aperture/core';

/**
 * What the harness knows about the isolated mode (ADR 0006): it runs as root in the sandbox
 * container's user namespace, and every execution goes through `runlimit --isolate`, which gives
 * it fresh namespaces, its own cgroups and fresh writable places, as another uid.
 */
export interface IsolationConfig {
  /**
   * Without privileges (a restricted Kubernetes pod): the harness is the program's own uid, and each
   * execution gets a user namespace of its own instead of another uid and cgroups (runlimit --userns).
   */
  userns: boolean;
  /** uid/gid of the student's programs (compile, tests, ad-hoc runs) and of an autograder. */
  programUid: number;
  programGid: number;
  /** uid/gid of the instructor's checker: apart from the student's, so neither can touch the other. */
  checkerUid: number;
  checkerGid: number;
  /** Where the host delegated the per-execution cgroups (memory/, pids/, cpuacct/ below it). */
  cgroupRoot: string | undefined;
  /** Bytes of each fresh tmpfs the execution gets (/tmp, /dev/shm). */
  scratchBytes: number;
  /**
   * Bytes of the work dir's copy: at least the work dir's own size, so whatever a compile could
   * write there always fits (a copy that failed would be our error, not the student's verdict).
   */
  workCopyBytes: number;
  /** Paths the programs must not see at all (the harness's own places). */
  hidden: readonly string[];
}

/** The places an execution sees; which depends on what it is. */
export type ExecutionPlaces =
  /** The compiler writes the program into the work dir, so it sees that dir as it is. */
  | { kind: 'compile' }
  /** A test or an ad-hoc run: a fresh copy of the work dir, so no test sees what another wrote. */
  | { kind: 'program' }
  /** The instructor's checker: fresh copies of its own dirs; the student's work dir is hidden. */
  | { kind: 'checker'; dirs: readonly string[] }
  /** A Gradescope autograder: its root as it is (it runs the student's code itself). */
  | { kind: 'autograder' };

export interface HarnessDirs {
  workDir: string;
  autograderDir: string;
}

/** runlimit's isolation flags for one execution. Pure. */
export function isolationArgs(
  config: IsolationConfig,
  dirs: HarnessDirs,
  places: ExecutionPlaces,
  limits: Limits,
): string[] {
  const checker = places.kind === 'checker';
  const uid = checker ? config.checkerUid : config.programUid;
  const gid = checker ? config.checkerGid : config.programGid;
  const scratch = (path: string) => `${path}:${config.scratchBytes}`;
  const args = [
    '--isolate',
    ...(config.userns ? ['--userns'] : []),
    '--uid',
    String(uid),
    '--gid',
    String(gid),
  ];
  if (config.cgroupRoot) {
    args.push('--cgroup-root', config.cgroupRoot);
    args.push('--memory', String(limits.memoryBytes), '--pids', String(limits.pids));
  }
  if (limits.network) args.push('--share-net');
  args.push('--fresh', scratch('/tmp'), '--fresh', scratch('/dev/shm'));
  const hidden = [...config.hidden, ...(config.cgroupRoot ? [config.cgroupRoot] : [])];
  switch (places.kind) {
    case 'compile':
      hidden.push(dirs.autograderDir);
      break;
    case 'program':
      args.push('--copy', `${dirs.workDir}:${Math.max(config.workCopyBytes, config.scratchBytes)}`);
      hidden.push(dirs.autograderDir);
      break;
    case 'checker':
      // Mounted after the fresh /tmp: runlimit opens every copy's source before any mount.
      for (const dir of places.dirs) args.push('--copy', scratch(dir));
      hidden.push(dirs.workDir, dirs.autograderDir);
      break;
    case 'autograder':
      break;
  }
  for (const path of hidden) args.push('--hide', path);
  return args;
}
