import { randomBytes } from 'node:crypto';
import {
  type BackendHealth,
  defaultSandboxFor,
  type ExecutionRequest,
  type ExecutionResult,
  findLanguage,
  parseFramedResult,
  type RunExecutor,
  type SandboxSpec,
} from '@aperture/core';
import { ApiSandbox } from './api-sandbox.ts';
import { sandboxSpecGenerator } from './api-sandbox-spec.ts';
import { PodmanApiClient, PodmanService } from './podman-api-client.ts';
import type { PodmanExecutorOptions } from './podman-run-executor.ts';
import { imageRef, LABEL_INSTANCE, LABEL_MANAGED, LABEL_POOL, LABEL_RUN } from './sandbox-args.ts';
import { SandboxIsolator } from './sandbox-isolator.ts';
import { WarmPool } from './warm-pool.ts';

/** A reusable sandbox is replaced after this many jobs (a bound on whatever a long life collects). */
export const MAX_JOBS_PER_SANDBOX = 100;

export interface PodmanApiExecutorOptions extends PodmanExecutorOptions {
  /**
   * A libpod API socket to use (e.g. /run/podman/podman.sock of `podman.socket`). Without it the
   * executor starts `podman system service --time=0` on a private socket and stops it on close.
   */
  socketPath?: string;
}

/**
 * The RunExecutor on Podman's REST API: the same fresh, locked-down container per run as
 * PodmanRunExecutor (api-sandbox-spec.ts is sandbox-args.ts as a SpecGenerator), without a Podman
 * CLI process per run: create, attach, start, the job in on the attach stream, the framed result
 * out. The container is removed when the run ends, is cancelled, or overruns its deadline.
 */
export class PodmanApiRunExecutor implements RunExecutor {
  readonly name = 'podman-api';
  private readonly pool: WarmPool<ApiSandbox>;
  private readonly instance: string;
  private readonly isolator: SandboxIsolator;
  /** Sandboxes whose run was answered and that are still being removed (close waits for them). */
  private readonly removing = new Set<Promise<void>>();

  private constructor(
    private readonly options: PodmanApiExecutorOptions,
    private readonly client: PodmanApiClient,
    private readonly service: PodmanService | undefined,
  ) {
    this.instance = options.instance ?? 'default';
    this.isolator = SandboxIsolator.create(this.instance, options.logger, options.idBase);
    // Isolated pool sandboxes serve many jobs (ADR 0006); cold ones, sized for one run, serve one.
    const reusable = this.isolator.reusable;
    const start = (name: string, spec: SandboxSpec, labels: Record<string, string>) =>
      this.start(name, spec, labels, reusable);
    this.pool = new WarmPool(start, randomBytes(4).toString('hex'), this.instance, options.logger, reusable);
  }

  static async create(options: PodmanApiExecutorOptions): Promise<PodmanApiRunExecutor> {
    const service = options.socketPath ? undefined : await PodmanService.start(options.podmanPath);
    const client = new PodmanApiClient(options.socketPath ?? service!.socketPath);
    const executor = new PodmanApiRunExecutor(options, client, service);
    if (options.poolSize > 0) {
      // Sweep leftovers of a dead process first, or they would count against the machine.
      await executor.sweep(new Set());
      for (const id of options.poolLanguages) executor.addPoolLane(id, options.poolSize);
    }
    return executor;
  }

  get socketPath(): string {
    return this.client.socketPath;
  }

  /** The `podman system service` this executor started, if it did (its pid, whether it runs). */
  get ownService(): { pid: number | undefined; alive: boolean } | undefined {
    return this.service && { pid: this.service.pid, alive: this.service.alive };
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    try {
      await this.service?.ensureRunning();
    } catch (error) {
      return {
        kind: 'infrastructure',
        reason: `the Podman API service could not be started: ${(error as Error).message}`,
        retryable: true,
      };
    }
    const sandboxSpec = {
      ...request.sandbox,
      image: imageRef(this.options.imagePrefix, request.sandbox.image),
    };
    const pooled = this.pool.take(sandboxSpec);
    if (pooled && this.isolator.reusable) return this.executeServed(pooled, request, sandboxSpec);
    let sandbox: ApiSandbox;
    try {
      sandbox = pooled ?? this.startCold(request, sandboxSpec);
    } catch (error) {
      return { kind: 'infrastructure', reason: (error as Error).message, retryable: true };
    }
    if (request.signal.aborted) {
      await sandbox.kill();
      return { kind: 'cancelled' };
    }
    let deadlineHit = false;
    let answered = false;
    const onAbort = () => void sandbox.kill();
    request.signal.addEventListener('abort', onAbort, { once: true });
    const deadline = setTimeout(() => {
      deadlineHit = true;
      void sandbox.kill();
    }, request.sandbox.deadlineMs);
    try {
      sandbox.send(request.job);
      const exit = await sandbox.exited;
      if (request.signal.aborted) return { kind: 'cancelled' };
      if (deadlineHit) {
        return {
          kind: 'infrastructure',
          reason: `the sandbox ran past its ${request.sandbox.deadlineMs} ms deadline`,
          retryable: true,
        };
      }
      if (exit.overflow)
        return {
          kind: 'infrastructure',
          reason: 'the sandbox printed more than any result can be',
          retryable: false,
        };
      const parsed = parseFramedResult(exit.stdout, request.job.nonce);
      if (parsed.ok) {
        answered = true;
        return { kind: 'result', result: parsed.result, raw: { stdoutBytes: exit.stdout.length } };
      }
      const code = exit.failure ? null : await sandbox.exitCode();
      const detail = exit.failure ?? exit.stderrTail.trim().slice(-2000);
      const reason = `${parsed.reason} (container exit ${code ?? 'unknown'}): ${detail}`;
      this.options.logger.warn(
        { runId: request.runId, sandbox: sandbox.name, reason },
        'sandbox gave no result',
      );
      return { kind: 'infrastructure', reason, retryable: true };
    } finally {
      clearTimeout(deadline);
      request.signal.removeEventListener('abort', onAbort);
      // A result is answered at once and its sandbox removed after; anything else (cancel, deadline,
      // no result) is reported only once the sandbox is gone. A crash in between leaves the
      // container to the next start's sweep.
      if (answered) this.removeAfterAnswer(sandbox);
      else await sandbox.kill();
    }
  }

  private removeAfterAnswer(sandbox: ApiSandbox): void {
    const removal = sandbox.kill().finally(() => this.removing.delete(removal));
    this.removing.add(removal);
  }

  /**
   * One job on a pool sandbox that serves many: the answer as soon as its frame is complete, and
   * the sandbox back to the pool (no container to create or remove on the way). Anything unusual —
   * cancel, deadline, no frame, a harness error — and it is removed instead.
   */
  private async executeServed(
    sandbox: ApiSandbox,
    request: ExecutionRequest,
    spec: SandboxSpec,
  ): Promise<ExecutionResult> {
    let stopped: 'cancelled' | 'deadline' | undefined;
    const stop = (why: 'cancelled' | 'deadline') => {
      stopped ??= why;
      void sandbox.kill();
    };
    const onAbort = () => stop('cancelled');
    request.signal.addEventListener('abort', onAbort, { once: true });
    const deadline = setTimeout(() => stop('deadline'), request.sandbox.deadlineMs);
    let reusable = false;
    try {
      if (request.signal.aborted) return { kind: 'cancelled' };
      const output = await sandbox.serve(request.job);
      if (request.signal.aborted || stopped === 'cancelled') return { kind: 'cancelled' };
      if (stopped === 'deadline') {
        return {
          kind: 'infrastructure',
          reason: `the sandbox ran past its ${request.sandbox.deadlineMs} ms deadline`,
          retryable: true,
        };
      }
      if (output === undefined) {
        const exit = await sandbox.exited;
        const reason = `the sandbox ended before its result: ${exit.failure ?? exit.stderrTail.trim().slice(-2000)}`;
        this.options.logger.warn(
          { runId: request.runId, sandbox: sandbox.name, reason },
          'sandbox gave no result',
        );
        return { kind: 'infrastructure', reason, retryable: true };
      }
      const parsed = parseFramedResult(output, request.job.nonce);
      if (!parsed.ok) return { kind: 'infrastructure', reason: parsed.reason, retryable: true };
      reusable = parsed.result.status === 'ok' && sandbox.jobsServed < MAX_JOBS_PER_SANDBOX;
      return { kind: 'result', result: parsed.result, raw: { stdoutBytes: output.length } };
    } finally {
      clearTimeout(deadline);
      request.signal.removeEventListener('abort', onAbort);
      if (reusable && !stopped && sandbox.isAlive) this.pool.giveBack(sandbox, spec);
      else {
        this.pool.retire(spec);
        await sandbox.kill();
      }
    }
  }

  /**
   * Remove containers of this instance (label dev.aperture.instance) that no live run owns and
   * that are not this process's pool.
   */
  async sweep(liveRunIds: ReadonlySet<string>): Promise<{ removed: number }> {
    let containers: Awaited<ReturnType<PodmanApiClient['listContainers']>>;
    try {
      containers = (await this.client.listContainers(`${LABEL_INSTANCE}=${this.instance}`)).filter(
        (c) => c.Labels?.[LABEL_MANAGED] === 'true',
      );
    } catch (error) {
      this.options.logger.warn({ error: (error as Error).message }, 'could not list sandboxes to sweep');
      return { removed: 0 };
    }
    const stale = containers.filter((c) => {
      const labels = c.Labels ?? {};
      if (labels[LABEL_POOL] === this.pool.poolId) return false;
      const runId = labels[LABEL_RUN];
      return !runId || !liveRunIds.has(runId);
    });
    const removed = await Promise.allSettled(stale.map((c) => this.client.removeContainer(c.Id)));
    this.isolator.sweep(
      containers.filter((c) => !stale.includes(c)).flatMap((c) => c.Names),
      stale.flatMap((c) => c.Names),
    );
    for (const outcome of removed)
      if (outcome.status === 'rejected')
        this.options.logger.warn({ error: String(outcome.reason) }, 'could not remove a stale sandbox');
    return { removed: stale.length };
  }

  async health(): Promise<BackendHealth> {
    try {
      await this.service?.ensureRunning();
      const version = await this.client.version();
      return {
        ok: true,
        backend: this.name,
        details: {
          podman: version,
          socket: this.client.socketPath,
          instance: this.instance,
          pool: this.pool.stats(),
          isolation: this.isolator.status,
        },
      };
    } catch (error) {
      return {
        ok: false,
        backend: this.name,
        details: { error: (error as Error).message, socket: this.client.socketPath },
      };
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
    await Promise.all(this.removing);
    await this.isolator.close();
    this.client.close();
    await this.service?.stop();
  }

  private startCold(request: ExecutionRequest, spec: SandboxSpec): ApiSandbox {
    const name = `aperture-api-${request.runId.replace(/[^a-zA-Z0-9_-]/g, '')}-${request.attempt}`;
    return this.start(name, spec, { [LABEL_RUN]: request.runId, [LABEL_INSTANCE]: this.instance });
  }

  private start(name: string, spec: SandboxSpec, labels: Record<string, string>, serve = false): ApiSandbox {
    const isolation = this.isolator.forSandbox(name, spec, serve);
    return new ApiSandbox(this.client, name, sandboxSpecGenerator(spec, name, labels, isolation), () =>
      this.isolator.release(name),
    );
  }

  /** The pool holds sandboxes sized for a run with default limits, which most runs are. */
  private addPoolLane(languageId: string, size: number): void {
    const language = findLanguage(languageId);
    if (!language) {
      this.options.logger.warn({ language: languageId }, 'unknown language in the warm-pool list; ignored');
      return;
    }
    const spec = defaultSandboxFor(language);
    this.pool.addLane({ ...spec, image: imageRef(this.options.imagePrefix, spec.image) }, size);
  }
}
