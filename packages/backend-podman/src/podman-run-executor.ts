import { randomBytes } from 'node:crypto';
import {
  type BackendHealth,
  defaultSandboxFor,
  type ExecutionRequest,
  type ExecutionResult,
  findLanguage,
  type Logger,
  parseFramedResult,
  type RunExecutor,
  type SandboxSpec,
} from '@aperture/core';
import { podman, removeContainers } from './podman-cli.ts';
import {
  imageRef,
  LABEL_INSTANCE,
  LABEL_MANAGED,
  LABEL_POOL,
  LABEL_RUN,
  sandboxRunArgs,
} from './sandbox-args.ts';
import { SandboxIsolator } from './sandbox-isolator.ts';
import { SandboxProcess } from './sandbox-process.ts';
import { WarmPool } from './warm-pool.ts';

export interface PodmanExecutorOptions {
  podmanPath: string;
  /**
   * Names this installation's sandboxes (label dev.aperture.instance). Recovery sweeps only these,
   * so two servers (or test suites) on one machine never remove each other's runs. Keep it stable
   * across restarts: that is how a restarted server finds what its crashed predecessor left.
   */
  instance?: string;
  /** Prepended to image names, e.g. "localhost/". */
  imagePrefix: string;
  /** Pre-started sandboxes per pooled language; 0 turns the pool off. */
  poolSize: number;
  poolLanguages: string[];
  logger: Logger;
  /** Host uid/gid of root in the isolated sandboxes (ADR 0006); 65536 ids from it are mapped. */
  idBase?: number;
}

/**
 * The RunExecutor on Podman: one fresh, locked-down container per run (see sandbox-args.ts),
 * the job in on stdin, the framed result out on stdout. The container is removed when the run
 * ends, is cancelled, or overruns its deadline.
 */
export class PodmanRunExecutor implements RunExecutor {
  readonly name = 'podman';
  private readonly pool: WarmPool<SandboxProcess>;

  private readonly instance: string;
  private readonly isolator: SandboxIsolator;

  private constructor(private readonly options: PodmanExecutorOptions) {
    this.instance = options.instance ?? 'default';
    this.isolator = SandboxIsolator.create(this.instance, options.logger, options.idBase);
    const start = (name: string, spec: SandboxSpec, labels: Record<string, string>) =>
      this.start(name, spec, labels);
    this.pool = new WarmPool(start, randomBytes(4).toString('hex'), this.instance, options.logger);
  }

  static async create(options: PodmanExecutorOptions): Promise<PodmanRunExecutor> {
    const executor = new PodmanRunExecutor(options);
    if (options.poolSize > 0) {
      // Sweep leftovers of a dead process first, or they would count against the machine.
      await executor.sweep(new Set());
      for (const id of options.poolLanguages) executor.addPoolLane(id, options.poolSize);
    }
    return executor;
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const sandboxSpec = {
      ...request.sandbox,
      image: imageRef(this.options.imagePrefix, request.sandbox.image),
    };
    let sandbox: SandboxProcess;
    try {
      sandbox = this.pool.take(sandboxSpec) ?? this.startCold(request, sandboxSpec);
    } catch (error) {
      return { kind: 'infrastructure', reason: (error as Error).message, retryable: true };
    }
    if (request.signal.aborted) {
      await sandbox.kill();
      return { kind: 'cancelled' };
    }
    let deadlineHit = false;
    // Cancel and deadline remove the container; the run is reported only once it is really gone.
    let stopping: Promise<void> | undefined;
    const onAbort = () => {
      stopping ??= sandbox.kill();
    };
    request.signal.addEventListener('abort', onAbort, { once: true });
    const deadline = setTimeout(() => {
      deadlineHit = true;
      stopping ??= sandbox.kill();
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
      if (parsed.ok)
        return { kind: 'result', result: parsed.result, raw: { stdoutBytes: exit.stdout.length } };
      return {
        kind: 'infrastructure',
        reason: `${parsed.reason} (podman exit ${exit.code}): ${exit.stderrTail.trim().slice(-2000)}`,
        retryable: true,
      };
    } finally {
      clearTimeout(deadline);
      request.signal.removeEventListener('abort', onAbort);
      if (stopping) await stopping;
      else if (sandbox.isAlive) await sandbox.kill();
    }
  }

  /**
   * Remove this instance's containers that no live run owns and that are not this process's pool.
   * Other instances' containers (another server, a parallel test suite) are never touched.
   */
  async sweep(liveRunIds: ReadonlySet<string>): Promise<{ removed: number }> {
    const listed = await podman(this.options.podmanPath, [
      'ps',
      '--all',
      '--filter',
      `label=${LABEL_MANAGED}=true`,
      '--filter',
      `label=${LABEL_INSTANCE}=${this.instance}`,
      '--format',
      'json',
    ]);
    if (listed.code !== 0) {
      this.options.logger.warn({ stderr: listed.stderr.trim() }, 'could not list sandboxes to sweep');
      return { removed: 0 };
    }
    const containers = JSON.parse(listed.stdout || '[]') as Array<{
      Names: string[];
      Labels: Record<string, string> | null;
    }>;
    const stale = containers.filter((c) => {
      const labels = c.Labels ?? {};
      if (labels[LABEL_POOL] === this.pool.poolId) return false;
      const runId = labels[LABEL_RUN];
      return !runId || !liveRunIds.has(runId);
    });
    await removeContainers(
      this.options.podmanPath,
      stale.flatMap((c) => c.Names),
    );
    this.isolator.sweep(
      containers.filter((c) => !stale.includes(c)).flatMap((c) => c.Names),
      stale.flatMap((c) => c.Names),
    );
    return { removed: stale.length };
  }

  async health(): Promise<BackendHealth> {
    const version = await podman(
      this.options.podmanPath,
      ['version', '--format', '{{.Client.Version}}'],
      10_000,
    );
    return {
      ok: version.code === 0,
      backend: this.name,
      details:
        version.code === 0
          ? { podman: version.stdout.trim(), pool: this.pool.stats(), isolation: this.isolator.status }
          : { error: version.stderr.trim() },
    };
  }

  async close(): Promise<void> {
    await this.pool.close();
    await this.isolator.close();
  }

  private startCold(request: ExecutionRequest, spec: SandboxSpec): SandboxProcess {
    const name = `aperture-run-${request.runId.replace(/[^a-zA-Z0-9_-]/g, '')}-${request.attempt}`;
    return this.start(name, spec, { [LABEL_RUN]: request.runId, [LABEL_INSTANCE]: this.instance });
  }

  private start(name: string, spec: SandboxSpec, labels: Record<string, string>): SandboxProcess {
    const isolation = this.isolator.forSandbox(name, spec);
    return new SandboxProcess(
      this.options.podmanPath,
      name,
      sandboxRunArgs(spec, name, labels, isolation),
      () => this.isolator.release(name),
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
