import type { SandboxSpec } from '@aperture/core';

export const LABEL_MANAGED = 'dev.aperture.managed';
export const LABEL_RUN = 'dev.aperture.run';
export const LABEL_POOL = 'dev.aperture.pool';
/** Which Aperture installation owns a sandbox: sweeping after a crash touches only its own. */
export const LABEL_INSTANCE = 'dev.aperture.instance';
export const SANDBOX_UID = '1000:1000';

/**
 * The `podman run` flags of every sandbox: no network, read-only root with small tmpfs dirs, no
 * capabilities, no privilege gain, non-root, memory without swap, a pids cap, a CPU quota. Pure,
 * so the hardening is unit-tested flag by flag.
 */
export function sandboxRunArgs(spec: SandboxSpec, name: string, labels: Record<string, string>): string[] {
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
    `--user=${SANDBOX_UID}`,
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
