import type { Logger, SandboxSpec } from '@aperture/core';
import { CgroupDelegation } from './cgroup-delegation.ts';
import { DEFAULT_ID_BASE, type SandboxIsolation } from './sandbox-args.ts';

/** What an executor reports about its sandboxes' isolation (health, logs). */
export interface IsolationStatus {
  mode: 'isolated' | 'plain';
  /** Per-execution cgroups (kernel accounting of every process a test starts). */
  perExecutionCgroups: boolean;
  /** Why a part is missing, if one is. */
  reason?: string;
  idBase?: number;
}

/**
 * Decides how the Podman backends isolate their sandboxes (ADR 0006) and owns the host side of
 * it: one user-namespace mapping for every sandbox, and a delegated cgroup box per sandbox, made
 * before its container and removed after it.
 */
export class SandboxIsolator {
  /** Boxes whose release found them busy, with the timer of their next try. */
  private readonly retrying = new Map<string, NodeJS.Timeout>();

  private constructor(
    private readonly idBase: number | undefined,
    private readonly delegation: CgroupDelegation | undefined,
    /** Only this instance's boxes are ever swept. */
    private readonly boxPrefix: string,
    readonly status: IsolationStatus,
  ) {}

  static create(instance: string, logger: Logger, idBase = DEFAULT_ID_BASE): SandboxIsolator {
    // '+' cannot occur in an instance name ([a-zA-Z0-9_.-]): instance "a" never sweeps "a-b"'s boxes.
    const boxPrefix = `${instance}+`;
    if (process.getuid?.() !== 0) {
      const reason = 'the isolated mode needs Aperture and Podman to run as root';
      logger.warn({ reason }, 'sandboxes run in the plain mode: the harness shares the student uid');
      return new SandboxIsolator(undefined, undefined, boxPrefix, {
        mode: 'plain',
        perExecutionCgroups: false,
        reason,
      });
    }
    const delegation = CgroupDelegation.detect(idBase);
    if (!(delegation instanceof CgroupDelegation)) {
      logger.warn({ reason: delegation.unavailable }, 'sandboxes run without per-execution cgroups');
      return new SandboxIsolator(idBase, undefined, boxPrefix, {
        mode: 'isolated',
        perExecutionCgroups: false,
        reason: delegation.unavailable,
        idBase,
      });
    }
    return new SandboxIsolator(idBase, delegation, boxPrefix, {
      mode: 'isolated',
      perExecutionCgroups: true,
      idBase,
    });
  }

  /** Sandboxes may serve many jobs (ADR 0006): only isolated ones keep nothing of a job. */
  get reusable(): boolean {
    return this.idBase !== undefined;
  }

  /** The isolation of one sandbox about to be created; throws if its cgroups cannot be made. */
  forSandbox(name: string, spec: SandboxSpec, serve = false): SandboxIsolation | undefined {
    if (this.idBase === undefined) return undefined;
    return {
      idBase: this.idBase,
      cgroups: this.delegation?.prepare(this.boxName(name), spec),
      serve,
    };
  }

  /**
   * After the sandbox's container is removed. conmon lives outside the box (`no-conmon`), so the
   * box is normally empty by then; should the runtime still be tearing the container's cgroups
   * down, a busy box is tried again a little later (then by `close`, and by the next start's sweep).
   */
  release(name: string, retryDelaysMs: readonly number[] = [50, 250, 1_000, 5_000]): void {
    clearTimeout(this.retrying.get(name));
    this.retrying.delete(name);
    if (!this.delegation || this.delegation.release(this.boxName(name))) return;
    const [delay, ...later] = retryDelaysMs;
    if (delay === undefined) return;
    const timer = setTimeout(() => this.release(name, later), delay);
    timer.unref();
    this.retrying.set(name, timer);
  }

  /** Release what is still waiting (bounded: a box that stays busy is left to the next sweep). */
  async close(budgetMs = 3_000): Promise<void> {
    const deadline = Date.now() + budgetMs;
    while (this.retrying.size > 0 && Date.now() < deadline) {
      for (const name of [...this.retrying.keys()]) this.release(name, [100]);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const timer of this.retrying.values()) clearTimeout(timer);
    this.retrying.clear();
  }

  /**
   * After the executor's sweep removed `removedSandboxNames`: release their boxes (with retries),
   * and sweep boxes no live sandbox owns.
   */
  sweep(liveSandboxNames: Iterable<string>, removedSandboxNames: Iterable<string> = []): number {
    if (!this.delegation) return 0;
    for (const name of removedSandboxNames) this.release(name);
    const live = new Set([...liveSandboxNames].map((name) => this.boxName(name)));
    for (const name of this.retrying.keys()) live.add(this.boxName(name));
    return this.delegation.sweep(live, this.boxPrefix);
  }

  private boxName(sandboxName: string): string {
    return `${this.boxPrefix}${sandboxName}`;
  }
}
