/**
 * The `podman run` of one rendered Deployment: the Kubernetes rendering (renderStudentLab) is the
 * single description of a student's copy, and this translates its pod flag by flag, as
 * test/images/lab-images.podman.test.ts proved for every catalog image. Pure, so the hardening is
 * unit-tested; the hash of the result is what makes a re-deploy leave an unchanged container alone.
 *
 * Why not `podman kube play` of the same objects (Podman 4.3): it makes every `emptyDir` a named
 * volume called after the pod's volume (`tmp`), shared by every pod on the machine that uses that
 * name, so two students would share /tmp; a re-play fails on an existing claim's volume; pods are
 * named `<deployment>-pod-0` in DNS; and each pod adds an infra container. See docs/labs.md.
 */
import { createHash } from 'node:crypto';
import { LABEL_LAB_COMPONENT } from '@aperture/backend-kubernetes';
import { parseBytes, parseCpu } from '@aperture/core';
import type { V1Container, V1Deployment, V1PodSpec } from '@kubernetes/client-node';
import { LABEL_LAB_COMPONENTS, LABEL_LAB_SPEC, LABEL_LAB_VERSION, labelArgs } from './lab-objects.ts';

/** Podman has no per-container default; a fork bomb must stop at the component, not the host. */
export const LAB_PIDS_LIMIT = 1024;
/** A component that keeps crashing is restarted this often, then reported failed. */
export const LAB_RESTART_RETRIES = 3;
/**
 * With `userNamespace` on, lab containers run in a user namespace: their uid/gid 0–65535 are host
 * ids from here, so a lab's uid 1000 is host uid 1 000 001 000, not the host's first user. One
 * range for every lab (not `--userns=auto`): a replaced container must own its student's volume
 * files as the old one did. Off by default: a process in it cannot open its own stdout/stderr by
 * path (`/dev/stdout`), which stops the catalog's nginx (docs/labs.md).
 */
export const LAB_HOST_ID_BASE = 1_000_000_000;
export const LAB_ID_RANGE = 65_536;

export interface ContainerContext {
  name: string;
  network: string;
  labels: Record<string, string>;
  versionId: string;
  /** All components of the version, for status (which containers should exist). */
  components: readonly string[];
  /** Claim name (as the rendering calls it) → the student's Podman volume. */
  volumes: ReadonlyMap<string, string>;
  /** First host id of the containers' user namespace (`--uidmap`/`--gidmap 0:<hostIdBase>:65536`); unset: none. */
  hostIdBase?: number;
}

export interface ContainerRun {
  component: string;
  args: string[];
  /** sha256 of everything but itself: equal hashes mean an equal container. */
  specHash: string;
}

export function containerRun(deployment: V1Deployment, context: ContainerContext): ContainerRun {
  const pod = deployment.spec?.template.spec;
  const container = pod?.containers[0];
  if (!pod || !container || pod.containers.length !== 1)
    throw new Error(`Deployment ${deployment.metadata?.name}: a lab pod has exactly one container`);
  const component = container.name;
  const labels = {
    ...context.labels,
    [LABEL_LAB_COMPONENT]: component,
    [LABEL_LAB_COMPONENTS]: [...context.components].join(','),
    [LABEL_LAB_VERSION]: context.versionId,
  };
  const args = [
    '--name',
    context.name,
    ...labelArgs(labels),
    '--hostname',
    component,
    // The component's name is its address inside the lab, as its Service is on Kubernetes.
    '--network',
    context.network,
    '--network-alias',
    component,
    ...idMaps(context.hostIdBase),
    ...hardening(pod, container),
    ...limits(container),
    '--restart',
    `on-failure:${LAB_RESTART_RETRIES}`,
    '--stop-timeout',
    String(pod.terminationGracePeriodSeconds ?? 5),
    '--pull',
    pullOf(container.imagePullPolicy),
    ...mounts(pod, container, context.volumes),
    ...(container.env ?? []).flatMap((variable) => ['--env', `${variable.name}=${variable.value ?? ''}`]),
    ...(container.command ? ['--entrypoint', JSON.stringify(container.command)] : []),
    required(container.image, `${component}: no image`),
    ...(container.args ?? []),
  ];
  const specHash = createHash('sha256').update(JSON.stringify(args)).digest('hex').slice(0, 32);
  return {
    component,
    args: ['run', '--detach', '--label', `${LABEL_LAB_SPEC}=${specHash}`, ...args],
    specHash,
  };
}

/**
 * The pod's security context as flags. `--read-only-tmpfs=false`: Kubernetes adds no writable
 * /run or /var/tmp, and Podman's /run tmpfs would make the mount point of a writable path below
 * /run (`/run/postgresql`) 1755 root, which the component's uid cannot write.
 */
function hardening(pod: V1PodSpec, container: V1Container): string[] {
  const security = container.securityContext ?? {};
  const uid = pod.securityContext?.runAsUser ?? security.runAsUser;
  if (uid === undefined || uid === 0)
    throw new Error(`${container.name}: a lab component never runs as root`);
  const gid = pod.securityContext?.runAsGroup ?? uid;
  return [
    '--user',
    `${uid}:${gid}`,
    ...(security.readOnlyRootFilesystem ? ['--read-only', '--read-only-tmpfs=false'] : []),
    ...(security.capabilities?.drop ?? []).flatMap((cap) => ['--cap-drop', cap]),
    ...(security.allowPrivilegeEscalation === false ? ['--security-opt', 'no-new-privileges'] : []),
  ];
}

function idMaps(base: number | undefined): string[] {
  if (base === undefined) return [];
  if (!Number.isInteger(base) || base < LAB_ID_RANGE || base + LAB_ID_RANGE > 2 ** 32 - 1)
    throw new Error(`lab user namespace: host id base ${base} is not a usable uid range`);
  const map = `0:${base}:${LAB_ID_RANGE}`;
  return ['--uidmap', map, '--gidmap', map];
}

/** Requests = limits in the rendering: the limit is the component's share; no swap beyond it. */
function limits(container: V1Container): string[] {
  const cpu = parseCpu(String(container.resources?.limits?.cpu ?? ''));
  const memory = parseBytes(String(container.resources?.limits?.memory ?? ''));
  if (cpu === undefined || memory === undefined) throw new Error(`${container.name}: no CPU or memory limit`);
  return [
    '--cpus',
    (cpu / 1000).toString(),
    '--memory',
    String(memory),
    '--memory-swap',
    String(memory),
    '--pids-limit',
    String(LAB_PIDS_LIMIT),
  ];
}

/**
 * emptyDirs become tmpfs mounts of their size limit (exec allowed, as an emptyDir is; mode 1777,
 * as the rendering's fsGroup makes them writable); claims become the student's named volumes.
 */
function mounts(pod: V1PodSpec, container: V1Container, volumes: ReadonlyMap<string, string>): string[] {
  return (container.volumeMounts ?? []).flatMap((mount) => {
    // `:` separates Podman's mount fields: a path with one could smuggle in mount options.
    if (!mount.mountPath.startsWith('/') || /[:\0]/.test(mount.mountPath))
      throw new Error(
        `${container.name}: mount path ${JSON.stringify(mount.mountPath)} is not a plain absolute path`,
      );
    const volume = pod.volumes?.find((candidate) => candidate.name === mount.name);
    if (volume?.emptyDir) {
      const size = parseBytes(String(volume.emptyDir.sizeLimit ?? '1Gi'));
      return ['--tmpfs', `${mount.mountPath}:rw,exec,nosuid,nodev,size=${size},mode=1777`];
    }
    const claim = volume?.persistentVolumeClaim?.claimName;
    const named = claim ? volumes.get(claim) : undefined;
    if (!named) throw new Error(`${container.name}: volume ${mount.name} is neither an emptyDir nor a claim`);
    return ['--volume', `${named}:${mount.mountPath}:rw,nosuid,nodev`];
  });
}

function pullOf(policy: string | undefined): string {
  if (policy === 'Always') return 'always';
  if (policy === 'Never') return 'never';
  return 'missing';
}

function required<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new Error(message);
  return value;
}
