import {
  type BackendHealth,
  type ExecutionRequest,
  type ExecutionResult,
  type Logger,
  parseFramedResult,
  type RunExecutor,
} from '@aperture/core';
import { sealJob } from '@aperture/harness';
import {
  AuthorizationV1Api,
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Job,
  type V1Pod,
  type V1Toleration,
  VersionApi,
} from '@kubernetes/client-node';
import {
  apiMessage,
  KubernetesPermissionError,
  KubernetesPermissionsMissingError,
  KubernetesUnavailableError,
  statusCode,
} from './api-errors.ts';
import { ApiRequestCounter } from './api-request-counter.ts';
import {
  jobNameFor,
  kubernetesArch,
  labelValue,
  MAX_SECRET_BYTES,
  type RunPodOptions,
  renderJobSecret,
  renderRunJob,
  SANDBOX_CONTAINER,
} from './job-manifest.ts';
import { ANNOTATION_DEADLINE, instanceSelector, LABEL_RUN } from './labels.ts';
import { describePermission, findRunPermission, RUN_PERMISSIONS } from './permissions.ts';
import { podState } from './pod-state.ts';
import { RunObjectWatcher } from './run-object-watcher.ts';
import { jobVerdict, podJobName, RunTracker } from './run-tracker.ts';

export interface KubernetesExecutorOptions {
  kubeConfig: KubeConfig;
  /** Where run Jobs go (default deploy/rbac/: `aperture-runs`). */
  namespace: string;
  instance: string;
  imagePrefix: string;
  logger: Logger;
  imagePullPolicy?: RunPodOptions['imagePullPolicy'];
  priorityClassName?: string | undefined;
  runtimeClassName?: string | undefined;
  imageArchitectures?: Record<string, string[]>;
  defaultArchitectures?: string[];
  nodeSelector?: Record<string, string>;
  tolerations?: V1Toleration[];
  ttlSecondsAfterFinished?: number;
  /**
   * The isolated engine (ADR 0006): the `localhostProfile` of deploy/seccomp's profile as installed
   * on every runner node, e.g. `aperture/runner.json`. Run pods then use it and the harness runs
   * every execution in namespaces of its own; unset, runs use RuntimeDefault and the plain mode.
   */
  runSeccompProfile?: string | undefined;
  /** How often stale objects of ours (past their deadline) are removed; 0 turns the sweeper off. */
  sweepIntervalMs?: number;
}

/** The shape of the Podman backends' `isolation` health detail, for Kubernetes run pods. */
export interface KubernetesIsolationStatus {
  mode: 'isolated' | 'plain';
  /** Never on Kubernetes: cgroupfs is read-only in a restricted pod. */
  perExecutionCgroups: false;
  reason: string;
  /** The Localhost profile run pods use (isolated mode). */
  seccompProfile?: string;
}

/** How long a cancelled or overrunning run waits for its pod to be gone before it reports. */
const POD_GONE_TIMEOUT_MS = 30_000;
/** The harness's result plus its outputs; more than this is refused, as on Podman. */
const MAX_LOG_BYTES = 64 * 1024 * 1024;
const PERMISSION_CACHE_MS = 60_000;

type Stop = 'cancelled' | 'deadline';

/**
 * The RunExecutor on Kubernetes: one Job per run attempt in the runs namespace, the sealed job in
 * a Secret owned by the Job, the run's state from two informers for all runs (its pod and its
 * Job; no polling), the result from the pod log with the harness's framing. Three writes per run (create Job, create Secret, delete Job)
 * and one read (the log). A pod the cluster took away (eviction, node lost, preemption) is an
 * infrastructure failure: the dispatcher retries it, a student never sees it as a verdict.
 */
export class KubernetesRunExecutor implements RunExecutor {
  readonly name = 'kubernetes';
  readonly requests = new ApiRequestCounter();
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly pods: RunObjectWatcher<V1Pod>;
  private readonly jobs: RunObjectWatcher<V1Job>;
  /** Runs this process follows, by Job name. */
  private readonly trackers = new Map<string, RunTracker>();
  private readonly pod: RunPodOptions;
  private sweeper: NodeJS.Timeout | undefined;
  private permissions: { at: number; missing: string[] } | undefined;

  private constructor(private readonly options: KubernetesExecutorOptions) {
    this.batch = options.kubeConfig.makeApiClient(BatchV1Api);
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.pod = {
      namespace: options.namespace,
      instance: options.instance,
      imagePrefix: options.imagePrefix,
      imagePullPolicy: options.imagePullPolicy ?? 'IfNotPresent',
      priorityClassName: options.priorityClassName,
      runtimeClassName: options.runtimeClassName,
      imageArchitectures: options.imageArchitectures ?? {},
      defaultArchitectures: options.defaultArchitectures ?? [kubernetesArch(process.arch)],
      nodeSelector: options.nodeSelector ?? {},
      tolerations: options.tolerations ?? [],
      ttlSecondsAfterFinished: options.ttlSecondsAfterFinished ?? 300,
      runSeccompProfile: options.runSeccompProfile,
    };
    const namespace = options.namespace;
    const labelSelector = instanceSelector(options.instance);
    this.pods = new RunObjectWatcher<V1Pod>(
      options.kubeConfig,
      {
        resource: 'pods',
        path: `/api/v1/namespaces/${namespace}/pods`,
        list: () => this.core.listNamespacedPod({ namespace, labelSelector }),
        jobNameOf: podJobName,
      },
      labelSelector,
      (job, pod, deleted) => this.trackers.get(job)?.push({ kind: 'pod', pod, deleted }),
      options.logger,
      this.requests,
    );
    this.jobs = new RunObjectWatcher<V1Job>(
      options.kubeConfig,
      {
        resource: 'jobs',
        path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
        list: () => this.batch.listNamespacedJob({ namespace, labelSelector }),
        jobNameOf: (job) => job.metadata?.name,
      },
      labelSelector,
      (name, job, deleted) => this.trackers.get(name)?.push({ kind: 'job', job, deleted }),
      options.logger,
      this.requests,
    );
  }

  /** Starts the informers; fails with a clear message when the cluster or a permission is missing. */
  static async create(options: KubernetesExecutorOptions): Promise<KubernetesRunExecutor> {
    const executor = new KubernetesRunExecutor(options);
    try {
      await executor.pods.start();
      try {
        await executor.jobs.start();
      } catch (error) {
        await executor.pods.stop();
        throw error;
      }
    } catch (error) {
      throw await executor.whyNotStarted(error);
    }
    const { isolation } = executor;
    if (isolation.mode === 'plain')
      options.logger.warn({ reason: isolation.reason }, 'run pods run in the plain mode (ADR 0006)');
    else
      options.logger.info(
        { seccompProfile: isolation.seccompProfile },
        'run pods are configured to run isolated; `aperture doctor --probe-isolation` proves it on a node',
      );
    const interval = options.sweepIntervalMs ?? 60_000;
    if (interval > 0) {
      executor.sweeper = setInterval(() => void executor.sweepExpired(), interval);
      executor.sweeper.unref();
    }
    return executor;
  }

  get namespace(): string {
    return this.options.namespace;
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    if (request.signal.aborted) return { kind: 'cancelled' };
    const name = jobNameFor(request.runId, request.attempt);
    const { sealed, key } = sealJob(JSON.stringify(request.job));
    if (sealed.length > MAX_SECRET_BYTES - 4096)
      return {
        kind: 'infrastructure',
        reason: `the job is ${sealed.length} bytes compressed and sealed; a Kubernetes Secret holds at most ${MAX_SECRET_BYTES}`,
        retryable: false,
      };
    const input = {
      runId: request.runId,
      attempt: request.attempt,
      sandbox: request.sandbox,
      sealedJob: sealed,
      jobKey: key,
      now: new Date(),
    };
    // Registered before the Job exists, so no event of its pod is missed.
    const tracker = new RunTracker();
    this.trackers.set(name, tracker);
    let created = false;
    try {
      const job = await this.call('create', 'jobs', () =>
        this.batch.createNamespacedJob({ namespace: this.namespace, body: renderRunJob(this.pod, input) }),
      );
      created = true;
      await this.call('create', 'secrets', () =>
        this.core.createNamespacedSecret({
          namespace: this.namespace,
          body: renderJobSecret(this.pod, input, { name, uid: job.metadata?.uid ?? '' }),
        }),
      );
      return await this.follow(name, tracker, request);
    } catch (error) {
      const { reason, retryable } = this.failureOf(error, created);
      this.options.logger.warn({ runId: request.runId, job: name, reason }, 'run could not be executed');
      return { kind: 'infrastructure', reason, retryable };
    } finally {
      this.trackers.delete(name);
      if (created && !tracker.jobDeleted) await this.deleteJob(name);
    }
  }

  /** Why a run could not be started; a missing permission or namespace does not fix itself on a retry. */
  private failureOf(error: unknown, jobCreated: boolean): { reason: string; retryable: boolean } {
    if (error instanceof KubernetesPermissionError) return { reason: error.message, retryable: false };
    if (!jobCreated && statusCode(error) === 404)
      return {
        reason:
          `the runs namespace ${this.namespace} does not exist (${apiMessage(error)}): ` +
          'kubectl apply -f deploy/rbac/, or set --k8s-namespace',
        retryable: false,
      };
    return { reason: `the Kubernetes API failed: ${apiMessage(error)}`, retryable: true };
  }

  /** Follow the pod until it ends, the run is cancelled, or the deadline passes. */
  private async follow(
    name: string,
    tracker: RunTracker,
    request: ExecutionRequest,
  ): Promise<ExecutionResult> {
    let stop: (why: Stop) => void = () => {};
    const stopped = new Promise<Stop>((resolve) => (stop = resolve));
    const onAbort = () => stop('cancelled');
    request.signal.addEventListener('abort', onAbort, { once: true });
    // A cancel that came while the Job and Secret were being created fired no event here.
    if (request.signal.aborted) stop('cancelled');
    const deadline = setTimeout(() => stop('deadline'), request.sandbox.deadlineMs);
    let last = 'no pod yet';
    try {
      for (;;) {
        const next = await Promise.race([tracker.next(), stopped]);
        if (next === 'cancelled' || next === 'deadline') {
          await this.killAndWait(name, tracker);
          if (next === 'cancelled') return { kind: 'cancelled' };
          const hint = tracker.latestPod
            ? ''
            : `; no pod was created: see \`kubectl -n ${this.namespace} describe job ${name}\` (quota, PriorityClass, PodSecurity)`;
          return {
            kind: 'infrastructure',
            reason: `the sandbox ran past its ${request.sandbox.deadlineMs} ms deadline (last seen: ${last}${hint})`,
            retryable: true,
          };
        }
        if (next.kind === 'job') {
          const verdict = jobVerdict(next.job, next.deleted);
          if (!verdict) continue;
          if (request.signal.aborted) return { kind: 'cancelled' };
          await this.killAndWait(name, tracker);
          return { kind: 'infrastructure', reason: verdict.gone, retryable: true };
        }
        const state = podState(next.pod, next.deleted);
        switch (state.kind) {
          case 'waiting':
            last = state.detail;
            continue;
          case 'running':
            last = 'running';
            continue;
          case 'lost':
          case 'stuck':
            await this.killAndWait(name, tracker);
            if (request.signal.aborted) return { kind: 'cancelled' };
            return { kind: 'infrastructure', reason: state.reason, retryable: true };
          case 'ended':
            return await this.resultOf(next.pod.metadata?.name ?? name, state.detail, request);
        }
      }
    } finally {
      clearTimeout(deadline);
      request.signal.removeEventListener('abort', onAbort);
    }
  }

  private async resultOf(
    podName: string,
    detail: string,
    request: ExecutionRequest,
  ): Promise<ExecutionResult> {
    const log = await this.call(
      'get',
      'pods',
      () =>
        this.core.readNamespacedPodLog({
          name: podName,
          namespace: this.namespace,
          container: SANDBOX_CONTAINER,
          limitBytes: MAX_LOG_BYTES,
        }),
      'log',
    );
    if (Buffer.byteLength(log) >= MAX_LOG_BYTES)
      return {
        kind: 'infrastructure',
        reason: 'the sandbox printed more than any result can be',
        retryable: false,
      };
    const parsed = parseFramedResult(log, request.job.nonce);
    if (parsed.ok)
      return { kind: 'result', result: parsed.result, raw: { stdoutBytes: Buffer.byteLength(log) } };
    const reason = `${parsed.reason} (${detail}): ${log.trim().slice(-2000)}`;
    this.options.logger.warn({ runId: request.runId, pod: podName, reason }, 'sandbox gave no result');
    return { kind: 'infrastructure', reason, retryable: true };
  }

  /** Delete the Job and wait until its pod is gone, so a cancelled run leaves nothing running. */
  private async killAndWait(name: string, tracker: RunTracker): Promise<void> {
    await this.deleteJob(name);
    tracker.jobDeleted = true;
    const until = Date.now() + POD_GONE_TIMEOUT_MS;
    while (tracker.latestPod && !tracker.latestPod.deleted && Date.now() < until) {
      const timeout = new Promise<undefined>((resolve) =>
        setTimeout(() => resolve(undefined), until - Date.now()).unref(),
      );
      await Promise.race([tracker.next(), timeout]);
    }
  }

  private async deleteJob(name: string): Promise<boolean> {
    try {
      await this.call('delete', 'jobs', () =>
        this.batch.deleteNamespacedJob({ name, namespace: this.namespace, propagationPolicy: 'Background' }),
      );
      return true;
    } catch (error) {
      if (statusCode(error) === 404) return false;
      this.options.logger.warn({ job: name, error: apiMessage(error) }, 'could not delete a run Job');
      return false;
    }
  }

  /**
   * Remove this installation's Jobs that no live run owns (at start, after a crash). Runs in flight
   * in this process count as live only if the caller names them, as on Podman.
   */
  async sweep(liveRunIds: ReadonlySet<string>): Promise<{ removed: number }> {
    let jobs: V1Job[];
    try {
      const list = await this.call('list', 'jobs', () =>
        this.batch.listNamespacedJob({
          namespace: this.namespace,
          labelSelector: instanceSelector(this.options.instance),
        }),
      );
      jobs = list.items;
    } catch (error) {
      this.options.logger.warn({ error: apiMessage(error) }, 'could not list run Jobs to sweep');
      return { removed: 0 };
    }
    const live = new Set([...liveRunIds].map(labelValue));
    const stale = jobs.filter((job) => {
      const runId = job.metadata?.labels?.[LABEL_RUN];
      return !runId || !live.has(runId);
    });
    const removed = await Promise.all(stale.map((job) => this.deleteJob(job.metadata?.name ?? '')));
    return { removed: removed.filter(Boolean).length };
  }

  /**
   * The periodic sweeper: any Job of ours past its deadline that this process is not following
   * (an earlier process's, or one whose delete failed) is removed. Reads the informer's cache only.
   */
  async sweepExpired(now = Date.now()): Promise<number> {
    const results = await Promise.all(this.expiredJobs(now).map((job) => this.deleteJob(job)));
    const removed = results.filter(Boolean).length;
    if (removed > 0) this.options.logger.info({ removed }, 'removed run Jobs past their deadline');
    return removed;
  }

  /** Jobs of ours in the informer's cache past their deadline that no run here follows. */
  expiredJobs(now = Date.now()): string[] {
    const expired: string[] = [];
    for (const job of this.jobs.cached()) {
      const name = job.metadata?.name;
      const deadline = Date.parse(job.metadata?.annotations?.[ANNOTATION_DEADLINE] ?? '');
      if (name && !this.trackers.has(name) && Number.isFinite(deadline) && deadline < now) expired.push(name);
    }
    return expired;
  }

  /** The informers' state: connected, failures since the last good start, the last error. */
  watchStatus(): { pods: RunObjectWatcher<V1Pod>['status']; jobs: RunObjectWatcher<V1Job>['status'] } {
    return { pods: this.pods.status, jobs: this.jobs.status };
  }

  /** How run pods isolate the trusted side from the student's programs (ADR 0006). */
  get isolation(): KubernetesIsolationStatus {
    const profile = this.pod.runSeccompProfile;
    return profile
      ? {
          mode: 'isolated',
          perExecutionCgroups: false,
          // Configured, not observed: a node without the profile fails its runs' pods (never a verdict).
          reason:
            'configured (aperture doctor --probe-isolation proves it on a node); a restricted pod cannot write cgroups: CPU per execution, memory and pids per pod',
          seccompProfile: profile,
        }
      : {
          mode: 'plain',
          perExecutionCgroups: false,
          reason:
            'no run seccomp profile configured (--k8s-run-seccomp-profile): the harness shares its uid with the programs',
        };
  }

  async health(): Promise<BackendHealth> {
    const base = {
      namespace: this.namespace,
      instance: this.options.instance,
      isolation: this.isolation,
      watches: this.watchStatus(),
    };
    try {
      const version = await this.call('get', 'version', () =>
        this.options.kubeConfig.makeApiClient(VersionApi).getCode(),
      );
      const missing = await this.missingPermissions();
      const ok = missing.length === 0 && this.pods.status.connected && this.jobs.status.connected;
      return {
        ok,
        backend: this.name,
        details: {
          ...base,
          server: version.gitVersion,
          cluster: this.options.kubeConfig.getCurrentCluster()?.server,
          ...(missing.length > 0 ? { missingPermissions: missing } : {}),
          requests: this.requests.snapshot(),
        },
      };
    } catch (error) {
      return { ok: false, backend: this.name, details: { ...base, error: apiMessage(error) } };
    }
  }

  /** RUN_PERMISSIONS the account lacks, by SelfSubjectAccessReview (cached for a minute). */
  async missingPermissions(): Promise<string[]> {
    if (this.permissions && Date.now() - this.permissions.at < PERMISSION_CACHE_MS)
      return this.permissions.missing;
    const authz = this.options.kubeConfig.makeApiClient(AuthorizationV1Api);
    const reviews = await Promise.all(
      RUN_PERMISSIONS.map(async (p) => {
        const review = await this.call('create', 'selfsubjectaccessreviews', () =>
          authz.createSelfSubjectAccessReview({
            body: {
              spec: {
                resourceAttributes: {
                  namespace: this.namespace,
                  group: p.group,
                  resource: p.resource,
                  verb: p.verb,
                  ...(p.subresource ? { subresource: p.subresource } : {}),
                },
              },
            },
          }),
        );
        return review.status?.allowed ? undefined : describePermission(p);
      }),
    );
    const missing = reviews.filter((m): m is string => m !== undefined);
    this.permissions = { at: Date.now(), missing };
    return missing;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([this.pods.stop(), this.jobs.stop()]);
  }

  /** The informers could not start: name the missing permissions, or say what else failed. */
  private async whyNotStarted(error: unknown): Promise<Error> {
    const missing = await this.missingPermissions().catch(() => []);
    if (missing.length > 0) return new KubernetesPermissionsMissingError(missing, this.namespace);
    const server = this.options.kubeConfig.getCurrentCluster()?.server ?? 'the API server';
    return new KubernetesUnavailableError(
      `Could not watch the runs namespace ${this.namespace} at ${server}: ${apiMessage(error)}. ` +
        'Check the kubeconfig and that the namespace exists (kubectl apply -f deploy/rbac/); `aperture doctor` says more.',
    );
  }

  /** One API call, counted; a 403 becomes an error naming the permission. */
  private async call<T>(
    verb: string,
    resource: string,
    fn: () => Promise<T>,
    subresource?: string,
  ): Promise<T> {
    this.requests.count(verb, subresource ? `${resource}/${subresource}` : resource);
    try {
      return await fn();
    } catch (error) {
      throw this.explain(error, verb, resource, subresource);
    }
  }

  private explain(error: unknown, verb: string, resource: string, subresource?: string): unknown {
    if (statusCode(error) !== 403) return error;
    const needed = findRunPermission(verb, resource, subresource);
    return needed ? new KubernetesPermissionError(needed, this.namespace, apiMessage(error)) : error;
  }
}
