import { randomBytes } from 'node:crypto';
import type { Logger, SandboxSpec } from '@aperture/core';
import { LABEL_INSTANCE, LABEL_POOL, sameSandbox } from './sandbox-args.ts';

/** What the pool needs of a sandbox, whichever way it was started (CLI process or API). */
export interface PooledSandbox {
  /** True once the harness waits for its job; false if the sandbox died first. */
  readonly ready: Promise<boolean>;
  readonly exited: Promise<unknown>;
  readonly isAlive: boolean;
  kill(): Promise<void>;
}

/** Starts one sandbox named `name` with these labels; the backend decides how. */
export type StartSandbox<S extends PooledSandbox> = (
  name: string,
  spec: SandboxSpec,
  labels: Record<string, string>,
) => S;

interface PoolLane<S> {
  spec: SandboxSpec;
  size: number;
  idle: S[];
  starting: number;
  /** Reusable sandboxes handed out and not yet given back or retired. */
  busy: number;
}

/**
 * Pre-started sandboxes, each blocked on its stdin until it receives exactly one job: the cost of
 * starting a container (most of a run's floor on these machines) is paid before the run arrives,
 * and every run still gets a fresh container. A taken sandbox is replaced in the background.
 * Shared by both Podman backends; they differ only in `start`.
 */
export class WarmPool<S extends PooledSandbox> {
  private readonly lanes: PoolLane<S>[] = [];
  /** Every sandbox the pool started and has not handed out, idle or still starting. */
  private readonly owned = new Set<S>();
  /** Removals of sandboxes that ended by themselves, still under way (close waits for them). */
  private readonly ending = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly start: StartSandbox<S>,
    readonly poolId: string,
    private readonly instance: string,
    private readonly logger: Logger,
    /**
     * Sandboxes that serve many jobs (ADR 0006: isolated sandboxes keep nothing of a job): a taken
     * one still counts against its lane until `giveBack` or `retire`, so a lane as large as the
     * concurrency starts no container at all in steady use.
     */
    private readonly reusable = false,
  ) {}

  addLane(spec: SandboxSpec, size: number): void {
    if (size <= 0) return;
    const lane: PoolLane<S> = { spec, size, idle: [], starting: 0, busy: 0 };
    this.lanes.push(lane);
    this.refill(lane);
  }

  /** An idle sandbox exactly like `spec`, or undefined (the caller starts a cold one). */
  take(spec: SandboxSpec): S | undefined {
    const lane = this.lanes.find((l) => sameSandbox(l.spec, spec));
    if (!lane) return undefined;
    // A pool sandbox that died while idle is dropped; refill replaces it.
    let sandbox = lane.idle.shift();
    while (sandbox && !sandbox.isAlive) sandbox = lane.idle.shift();
    if (sandbox) this.owned.delete(sandbox);
    if (sandbox && this.reusable) lane.busy++;
    this.refill(lane);
    return sandbox;
  }

  /** A reusable sandbox that finished its job cleanly: idle again (or gone, if the pool closed). */
  giveBack(sandbox: S, spec: SandboxSpec): void {
    const lane = this.busyLane(spec);
    if (!lane) return void sandbox.kill();
    lane.busy--;
    if (this.closed || !sandbox.isAlive) {
      void sandbox.kill();
      this.refill(lane);
      return;
    }
    this.owned.add(sandbox);
    lane.idle.push(sandbox);
  }

  /** A reusable sandbox that will serve no further job (the caller removes it): replace it. */
  retire(spec: SandboxSpec): void {
    const lane = this.busyLane(spec);
    if (!lane) return;
    lane.busy--;
    this.refill(lane);
  }

  private busyLane(spec: SandboxSpec): PoolLane<S> | undefined {
    return this.reusable ? this.lanes.find((l) => sameSandbox(l.spec, spec) && l.busy > 0) : undefined;
  }

  stats(): Array<{ image: string; idle: number; busy: number; size: number }> {
    return this.lanes.map((l) => ({ image: l.spec.image, idle: l.idle.length, busy: l.busy, size: l.size }));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const lane of this.lanes) lane.idle.splice(0);
    await Promise.all([...[...this.owned].map((s) => s.kill()), ...this.ending]);
    this.owned.clear();
  }

  private refill(lane: PoolLane<S>): void {
    while (!this.closed && lane.idle.length + lane.starting + lane.busy < lane.size) {
      lane.starting++;
      const name = `aperture-pool-${this.poolId}-${randomBytes(5).toString('hex')}`;
      let sandbox: S;
      try {
        sandbox = this.start(name, lane.spec, {
          [LABEL_POOL]: this.poolId,
          [LABEL_INSTANCE]: this.instance,
        });
      } catch (error) {
        lane.starting--;
        this.logger.warn({ error: (error as Error).message }, 'a warm-pool sandbox could not be prepared');
        if (!this.closed) setTimeout(() => this.refill(lane), 5_000).unref();
        return;
      }
      this.owned.add(sandbox);
      void sandbox.ready.then((ready) => {
        lane.starting--;
        if (ready && !this.closed) lane.idle.push(sandbox);
        else if (!ready) {
          this.logger.warn({ image: lane.spec.image }, 'a warm-pool sandbox exited before it was ready');
          // Back off so a missing image does not become a busy loop of podman processes or API calls.
          if (!this.closed) setTimeout(() => this.refill(lane), 5_000).unref();
        } else void sandbox.kill();
      });
      void sandbox.exited.then(() => {
        this.owned.delete(sandbox);
        // Ended by itself (or by a kill): removal is idempotent and releases its host-side parts
        // now, rather than leaving them to the next start's sweep.
        const removal = sandbox.kill().finally(() => this.ending.delete(removal));
        this.ending.add(removal);
        const index = lane.idle.indexOf(sandbox);
        if (index >= 0) {
          lane.idle.splice(index, 1);
          this.refill(lane);
        }
      });
    }
  }
}
