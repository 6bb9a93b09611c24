import type { SandboxSpec } from '@aperture/core';
import { type DelegatedCgroups, SANDBOX_CGROUP_ROOT } from './cgroup-delegation.ts';

export const LABEL_MANAGED = 'dev.aperture.managed';
export const LABEL_RUN = 'dev.aperture.run';
export const LABEL_POOL = 'dev.aperture.pool';
/** Which Aperture installation owns a sandbox: sweeping after a crash touches only its own. */
export const LABEL_INSTANCE = 'dev.aperture.instance';
export const SANDBOX_UID = '1000:1000';

/**
 * The isolated mode (ADR 0006): the harness runs as root of the sandbox's own user namespace with
 * the few capabilities it needs to give every execution fresh namespaces, cgroups and tmpfs dirs
 * (runlimit --isolate); the student's programs run as uid 1000 of that namespace with none.
 */
export interface SandboxIsolation {
  /** Host uid and gid of root in the sandbox's user namespace; the sandbox maps 65536 ids from it. */
  idBase: number;
  /** Per-execution cgroups, where the host can delegate them. */
  cgroups: DelegatedCgroups | undefined;
  /** The harness serves many jobs, one per line of stdin (pool sandboxes; APERTURE_SERVE=1). */
  serve?: boolean;
}

/** Ids mapped into every isolated sandbox. */
export const ID_RANGE = 65536;
/** Default host id of root in the sandboxes: far above the subordinate ranges Debian hands users. */
export const DEFAULT_ID_BASE = 1_500_000_000;
/** Namespaced capabilities of the harness (root in the user namespace), never of the student's code. */
export const HARNESS_CAPABILITIES = [
  'CHOWN', // hand the workspace to the program uid
  'DAC_OVERRIDE', // copy any file into an execution's fresh work dir
  'FOWNER',
  'KILL', // stop an execution's init (another uid)
  'SETUID', // run the execution as the program or checker uid
  'SETGID',
  'SETPCAP', // empty the execution's bounding set
  'SYS_ADMIN', // namespaces, tmpfs and /proc mounts for each execution
] as const;

/** The harness's environment for the isolated mode. */
export function isolationEnv(isolation: SandboxIsolation): Record<string, string> {
  return {
    APERTURE_ISOLATE: '1',
    ...(isolation.cgroups && { APERTURE_CGROUP_ROOT: SANDBOX_CGROUP_ROOT }),
    ...(isolation.serve && { APERTURE_SERVE: '1' }),
  };
}

/**
 * The `podman run` flags of every sandbox: no network, read-only root with small tmpfs dirs, no
 * capabilities, no privilege gain, non-root, memory without swap, a pids cap, a CPU quota. Pure,
 * so the hardening is unit-tested flag by flag.
 */
export function sandboxRunArgs(
  spec: SandboxSpec,
  name: string,
  labels: Record<string, string>,
  isolation?: SandboxIsolation,
): string[] {
  const memory = String(spec.memoryBytes);
  // exec everywhere: /work must run compiled programs anyway, so noexec elsewhere would add nothing.
  const tmpfs = (path: string, bytes: number) => `${path}:rw,exec,nosuid,nodev,size=${bytes},mode=1777`;
  return [
    'run',
    '--rm',
    '--interactive',
    '--pull=never',
    `--name=${name}`,
    ...Object.entries({ [LABEL_MANAGED]: 'true', ...labels }).map(([k, v]) => `--label=${k}=${v}`),
    spec.network ? '--network=slirp4netns' : '--network=none',
    '--read-only',
    '--read-only-tmpfs=false',
    `--tmpfs=${tmpfs('/work', spec.workDirBytes)}`,
    `--tmpfs=${tmpfs('/tmp', 16 * 1024 * 1024)}`,
    `--tmpfs=${tmpfs('/autograder', spec.workDirBytes)}`,
    '--cap-drop=ALL',
    '--security-opt=no-new-privileges',
    ...(isolation ? isolatedRunArgs(isolation) : [`--user=${SANDBOX_UID}`]),
    `--memory=${memory}`,
    `--memory-swap=${memory}`,
    `--pids-limit=${spec.pids}`,
    `--cpus=${spec.cpus}`,
    '--hostname=sandbox',
    // Output reaches us through the attached stdout; a log file would only copy it to disk.
    '--log-driver=none',
    '--workdir=/work',
    spec.image,
  ];
}

function isolatedRunArgs(isolation: SandboxIsolation): string[] {
  const { idBase, cgroups } = isolation;
  return [
    '--user=0:0',
    `--uidmap=0:${idBase}:${ID_RANGE}`,
    `--gidmap=0:${idBase}:${ID_RANGE}`,
    `--cap-add=${HARNESS_CAPABILITIES.join(',')}`,
    ...Object.entries(isolationEnv(isolation)).map(([k, v]) => `--env=${k}=${v}`),
    ...(cgroups
      ? [
          `--cgroup-parent=${cgroups.parent}`,
          // conmon (and the `podman container cleanup` it starts when the container ends) stays
          // out of the box: the box is empty the moment the container is removed, and can go.
          '--cgroups=no-conmon',
          ...cgroups.binds.map((b) => `--volume=${b.source}:${b.destination}:rw`),
        ]
      : []),
  ];
}

export function imageRef(prefix: string, image: string): string {
  return image.includes(':') ? `${prefix}${image}` : `${prefix}${image}:latest`;
}

/** Two sandboxes are interchangeable when everything but the deadline matches. */
export function sameSandbox(a: SandboxSpec, b: SandboxSpec): boolean {
  return (
    a.image === b.image &&
    a.memoryBytes === b.memoryBytes &&
    a.pids === b.pids &&
    a.cpus === b.cpus &&
    a.network === b.network &&
    a.workDirBytes === b.workDirBytes
  );
}
