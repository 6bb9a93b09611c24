import { randomBytes } from 'node:crypto';
import type { Logger, SandboxSpec } from '@aperture/core';
import { ApiSandbox } from './api-sandbox.ts';
import { sandboxSpecGenerator } from './api-sandbox-spec.ts';
import type { PodmanApiClient } from './podman-api-client.ts';
import { LABEL_INSTANCE, LABEL_POOL, sameSandbox } from './sandbox-args.ts';

interface PoolLane {
  spec: SandboxSpec;
  size: number;
  idle: ApiSandbox[];
  starting: number;
}

/**
 * WarmPool (warm-pool.ts) on the libpod API: pre-started sandboxes, each created, attached and
 * started ahead and blocked on its stdin until it receives exactly one job, so a run pays only for
 * its own work; every run still gets a fresh container. A taken sandbox is replaced in the
 * background.
 */
export class ApiWarmPool {
  private readonly lanes: PoolLane[] = [];
  /** Every sandbox the pool started and has not handed out, idle or still starting. */
  private readonly owned = new Set<ApiSandbox>();
  private closed = false;

  constructor(
    private readonly client: PodmanApiClient,
    readonly poolId: string,
    private readonly instance: string,
    private readonly logger: Logger,
  ) {}

  addLane(spec: SandboxSpec, size: number): void {
    if (size <= 0) return;
    const lane: PoolLane = { spec, size, idle: [], starting: 0 };
    this.lanes.push(lane);
    this.refill(lane);
  }

  /** An idle sandbox exactly like `spec`, or undefined (the caller starts a cold one). */
  take(spec: SandboxSpec): ApiSandbox | undefined {
    const lane = this.lanes.find((l) => sameSandbox(l.spec, spec));
    if (!lane) return undefined;
    // A pool sandbox that died while idle is dropped; refill replaces it.
    let sandbox = lane.idle.shift();
    while (sandbox && !sandbox.isAlive) sandbox = lane.idle.shift();
    if (sandbox) this.owned.delete(sandbox);
    this.refill(lane);
    return sandbox;
  }

  stats(): Array<{ image: string; idle: number; size: number }> {
    return this.lanes.map((l) => ({ image: l.spec.image, idle: l.idle.length, size: l.size }));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const lane of this.lanes) lane.idle.splice(0);
    await Promise.all([...this.owned].map((s) => s.kill()));
    this.owned.clear();
  }

  private refill(lane: PoolLane): void {
    while (!this.closed && lane.idle.length + lane.starting < lane.size) {
      lane.starting++;
      const name = `aperture-pool-${this.poolId}-${randomBytes(5).toString('hex')}`;
      const sandbox = new ApiSandbox(
        this.client,
        name,
        sandboxSpecGenerator(lane.spec, name, { [LABEL_POOL]: this.poolId, [LABEL_INSTANCE]: this.instance }),
      );
      this.owned.add(sandbox);
      void sandbox.ready.then((ready) => {
        lane.starting--;
        if (ready && !this.closed) lane.idle.push(sandbox);
        else if (!ready) {
          this.logger.warn({ image: lane.spec.image }, 'a warm-pool sandbox exited before it was ready');
          // Back off so a missing image does not become a busy loop of API calls.
          if (!this.closed) setTimeout(() => this.refill(lane), 5_000).unref();
        } else void sandbox.kill();
      });
      void sandbox.exited.then(() => {
        this.owned.delete(sandbox);
        const index = lane.idle.indexOf(sandbox);
        if (index >= 0) {
          lane.idle.splice(index, 1);
          this.refill(lane);
        }
      });
    }
  }
}
