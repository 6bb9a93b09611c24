import type { SandboxSpec } from '@aperture/core';
import {
  HARNESS_CAPABILITIES,
  ID_RANGE,
  isolationEnv,
  LABEL_MANAGED,
  SANDBOX_UID,
  type SandboxIsolation,
} from './sandbox-args.ts';

/** Bytes of the /tmp tmpfs, as in sandbox-args.ts. */
const TMP_BYTES = 16 * 1024 * 1024;
/** The CFS period `--cpus` uses; the quota is cpus × period. */
const CPU_PERIOD_US = 100_000;

/**
 * The libpod SpecGenerator of a sandbox: flag for flag what `sandboxRunArgs` gives `podman run`
 * (the OCI runtime config Podman derives from both is the same; podman-api-run-executor.podman.test.ts
 * compares them). Pure, so the hardening is unit-tested field by field.
 */
export function sandboxSpecGenerator(
  spec: SandboxSpec,
  name: string,
  labels: Record<string, string>,
  isolation?: SandboxIsolation,
): Record<string, unknown> {
  // exec everywhere, as the CLI path: /work must run compiled programs anyway.
  const tmpfs = (destination: string, bytes: number) => ({
    destination,
    type: 'tmpfs',
    source: 'tmpfs',
    options: ['rw', 'exec', 'nosuid', 'nodev', `size=${bytes}`, 'mode=1777'],
  });
  return {
    name,
    image: spec.image, // create never pulls: a missing image fails like --pull=never
    labels: { [LABEL_MANAGED]: 'true', ...labels },
    netns: { nsmode: spec.network ? 'slirp4netns' : 'none' }, // --network
    read_only_filesystem: true, // --read-only
    read_write_tmpfs: false, // --read-only-tmpfs=false
    mounts: [
      tmpfs('/work', spec.workDirBytes),
      tmpfs('/tmp', TMP_BYTES),
      tmpfs('/autograder', spec.workDirBytes),
      ...(isolation?.cgroups?.binds ?? []).map(({ source, destination }) => ({
        destination,
        type: 'bind',
        source,
        options: ['rw', 'rprivate', 'rbind'], // the order the CLI's --volume gives
      })), // --volume
    ],
    cap_drop: ['ALL'], // --cap-drop=ALL
    no_new_privileges: true, // --security-opt=no-new-privileges
    ...(isolation ? isolatedSpec(isolation) : { user: SANDBOX_UID }), // --user
    resource_limits: {
      memory: { limit: spec.memoryBytes, swap: spec.memoryBytes }, // --memory, --memory-swap
      pids: { limit: spec.pids }, // --pids-limit
      cpu: { quota: Math.round(spec.cpus * CPU_PERIOD_US), period: CPU_PERIOD_US }, // --cpus
    },
    hostname: 'sandbox',
    // Output reaches us through the attach stream; a log file would only copy it to disk.
    log_configuration: { driver: 'none' },
    work_dir: '/work',
    stdin: true, // --interactive
    remove: true, // --rm
  };
}

/** The isolated mode's fields, flag for flag sandbox-args.ts's isolatedRunArgs. */
function isolatedSpec(isolation: SandboxIsolation): Record<string, unknown> {
  const mapping = [{ container_id: 0, host_id: isolation.idBase, size: ID_RANGE }];
  return {
    user: '0:0', // --user
    idmappings: { UIDMap: mapping, GIDMap: mapping }, // --uidmap, --gidmap
    userns: { nsmode: 'private' },
    cap_add: [...HARNESS_CAPABILITIES], // --cap-add
    env: isolationEnv(isolation), // --env
    // --cgroup-parent, --cgroups=no-conmon (conmon stays out of the box; see isolatedRunArgs)
    ...(isolation.cgroups && { cgroup_parent: isolation.cgroups.parent, cgroups_mode: 'no-conmon' }),
  };
}
