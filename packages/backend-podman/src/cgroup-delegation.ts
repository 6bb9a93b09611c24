import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { SandboxSpec } from '@aperture/core';

/** The v1 controllers an execution's cgroups use (runlimit's --cgroup-root expects these names). */
export const DELEGATED_CONTROLLERS = ['memory', 'pids', 'cpuacct'] as const;
export type DelegatedController = (typeof DELEGATED_CONTROLLERS)[number];

/** Where the sandbox sees its delegated cgroups (APERTURE_CGROUP_ROOT in the container). */
export const SANDBOX_CGROUP_ROOT = '/aperture/cgroup';

/** A box of another installation is swept once it has been empty this long. */
const ABANDONED_AFTER_MS = 60 * 60_000;
/** Prefix of every delegated directory: a sweep after a crash finds its own by it. */
const BOX_PREFIX = 'aperture-box-';

export interface DelegatedCgroups {
  /** `--cgroup-parent`: the container's own cgroups become children of the box. */
  parent: string;
  /** Host directory → path inside the sandbox, bound read-write. */
  binds: ReadonlyArray<{ source: string; destination: string }>;
}

/**
 * Per-execution cgroups for a sandbox on cgroup v1 (ADR 0006). For each sandbox the host makes a
 * "box" directory in the memory, pids and cpuacct hierarchies, limits it to the sandbox's size
 * (so the container plus its executions never exceed it), and hands the directory to the
 * container's root (a uid of the sandbox's user namespace) — only the directory and its
 * `cgroup.procs`/`tasks`, never its limit files. The container's own cgroups are children of the
 * box (`--cgroup-parent`), and runlimit makes one more child per execution. Where these
 * hierarchies do not exist (a cgroup v2 host), `detect` says why and sandboxes run without them.
 */
export class CgroupDelegation {
  private constructor(
    /** Host mount point of each controller's hierarchy. */
    private readonly hierarchies: Readonly<Record<DelegatedController, string>>,
    /**
     * Every cgroup hierarchy of the host (v1, named and unified): Podman puts the container's
     * cgroups below the box in each of them, so the box appears, and must be removed, in each.
     */
    private readonly everyHierarchy: readonly string[],
    /** Host uid/gid of root in the sandbox's user namespace. */
    private readonly owner: number,
  ) {}

  static detect(owner: number, mountinfo = readMountinfo()): CgroupDelegation | { unavailable: string } {
    const found = findV1Hierarchies(mountinfo);
    const missing = DELEGATED_CONTROLLERS.filter((c) => !found[c]);
    if (missing.length > 0) {
      return {
        unavailable: `no cgroup v1 hierarchy for ${missing.join(', ')} (per-execution cgroups need cgroup v1 here; cgroup v2 delegation is not implemented yet)`,
      };
    }
    if (process.getuid?.() !== 0) return { unavailable: 'delegating cgroups needs Aperture to run as root' };
    return new CgroupDelegation(
      found as Record<DelegatedController, string>,
      allHierarchies(mountinfo),
      owner,
    );
  }

  /** Make the sandbox's box in every hierarchy; undo what was made if a step fails. */
  prepare(sandboxName: string, spec: SandboxSpec): DelegatedCgroups {
    const box = `${BOX_PREFIX}${sandboxName}`;
    const made: string[] = [];
    try {
      for (const controller of DELEGATED_CONTROLLERS) {
        const dir = join(this.hierarchies[controller], box);
        mkdirSync(dir);
        made.push(dir);
        this.limit(controller, dir, spec);
        for (const path of [dir, join(dir, 'cgroup.procs'), join(dir, 'tasks')])
          chownSync(path, this.owner, this.owner);
      }
    } catch (error) {
      for (const dir of made) removeBox(dir);
      throw new Error(`could not delegate cgroups to sandbox ${sandboxName}: ${(error as Error).message}`);
    }
    return {
      parent: `/${box}`,
      binds: DELEGATED_CONTROLLERS.map((controller) => ({
        source: join(this.hierarchies[controller], box),
        destination: `${SANDBOX_CGROUP_ROOT}/${controller}`,
      })),
    };
  }

  /** Remove the sandbox's box once its container is gone; false while something is still in it. */
  release(sandboxName: string): boolean {
    let removed = true;
    for (const hierarchy of this.everyHierarchy) {
      const dir = join(hierarchy, `${BOX_PREFIX}${sandboxName}`);
      if (existsSync(dir) && !removeBox(dir)) removed = false;
    }
    return removed;
  }

  /**
   * Remove boxes whose sandbox no longer exists: this instance's that no live sandbox owns (a
   * crash, a release that found them busy), and any installation's that have been empty for long
   * (a server that died and never started again under its instance name). A box not yet an hour
   * old may be another server's sandbox being created, so it is never touched.
   */
  sweep(liveBoxNames: ReadonlySet<string>, namePrefix: string, now = Date.now()): number {
    let removed = 0;
    for (const hierarchy of this.everyHierarchy) {
      for (const entry of safeReaddir(hierarchy, true)) {
        if (!entry.startsWith(BOX_PREFIX)) continue;
        const dir = join(hierarchy, entry);
        const ours = entry.startsWith(`${BOX_PREFIX}${namePrefix}`);
        if (ours ? liveBoxNames.has(entry.slice(BOX_PREFIX.length)) : !abandoned(dir, now)) continue;
        if (removeBox(dir)) removed++;
      }
    }
    return removed;
  }

  private limit(controller: DelegatedController, dir: string, spec: SandboxSpec): void {
    if (controller === 'memory') {
      writeFileSync(join(dir, 'memory.limit_in_bytes'), String(spec.memoryBytes));
      const swap = join(dir, 'memory.memsw.limit_in_bytes');
      if (existsSync(swap)) writeFileSync(swap, String(spec.memoryBytes));
    } else if (controller === 'pids') {
      writeFileSync(join(dir, 'pids.max'), String(spec.pids));
    } else if (existsSync(join(dir, 'cpu.cfs_quota_us'))) {
      // cpu and cpuacct mounted together: an execution moved into the box's child leaves the
      // container's CPU quota, so the box carries it too.
      writeFileSync(join(dir, 'cpu.cfs_period_us'), '100000');
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(Math.round(spec.cpus * 100_000)));
    }
  }
}

/** Mount points of the v1 hierarchies that carry each delegated controller. Pure. */
export function findV1Hierarchies(mountinfo: string): Partial<Record<DelegatedController, string>> {
  const found: Partial<Record<DelegatedController, string>> = {};
  for (const line of mountinfo.split('\n')) {
    const [mount, fs] = line.split(' - ');
    if (!mount || !fs) continue;
    const [type, , superOptions = ''] = fs.split(' ');
    if (type !== 'cgroup') continue;
    const mountPoint = mount.split(' ')[4];
    const options = superOptions.split(',');
    for (const controller of DELEGATED_CONTROLLERS)
      if (mountPoint && options.includes(controller)) found[controller] ??= mountPoint;
  }
  return found;
}

/** Mount points of every cgroup hierarchy, v1 (also named ones such as name=systemd) and v2. Pure. */
export function allHierarchies(mountinfo: string): string[] {
  const found: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const [mount, fs] = line.split(' - ');
    const type = fs?.split(' ')[0];
    const mountPoint = mount?.split(' ')[4];
    if ((type === 'cgroup' || type === 'cgroup2') && mountPoint && !found.includes(mountPoint))
      found.push(mountPoint);
  }
  return found;
}

function readMountinfo(): string {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return '';
  }
}

/** Older than an hour with no process anywhere below it. */
function abandoned(dir: string, now: number): boolean {
  try {
    return now - statSync(dir).mtimeMs > ABANDONED_AFTER_MS && !hasProcesses(dir);
  } catch {
    return false;
  }
}

function hasProcesses(dir: string): boolean {
  try {
    if (readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim() !== '') return true;
  } catch {
    return true; // unreadable: assume in use
  }
  return safeReaddir(dir, true).some((child) => hasProcesses(join(dir, child)));
}

/** rmdir depth first (the box holds the container's and the executions' cgroups). */
function removeBox(dir: string): boolean {
  for (const entry of safeReaddir(dir, true)) removeBox(join(dir, entry));
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

function safeReaddir(dir: string, directoriesOnly = false): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => !directoriesOnly || entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}
