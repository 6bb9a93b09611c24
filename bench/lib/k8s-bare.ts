/**
 * The bare engine for the Kubernetes benchmarks: a plain client-node loop creating the same
 * objects Aperture creates (renderRunJob / renderJobSecret with the same options), completion seen
 * through one Watch on Jobs, then the Job deleted. No queue, no database, no HTTP, no log read
 * (except Tier B's hello, which has to read its output like any user would).
 */
import { randomBytes } from 'node:crypto';
import {
  type RunObjectsInput,
  type RunPodOptions,
  renderJobSecret,
  renderRunJob,
} from '@aperture/backend-kubernetes';
import {
  DEFAULT_COMPILE_LIMITS,
  DEFAULT_LIMITS,
  findLanguage,
  HARNESS_PROTOCOL_VERSION,
  type HarnessJob,
  resolveLimits,
  sandboxFor,
} from '@aperture/core';
import { sealJob } from '@aperture/harness';
import {
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Job,
  type V1Pod,
  Watch,
} from '@kubernetes/client-node';
import { saturate } from '../measure.ts';
import { RequestCounts } from './k8s-report.ts';

export const HELLO = 'print("hello")';

/** The job Aperture's dispatcher builds for an ad-hoc `print("hello")` run, sealed the same way. */
export function helloRunObjects(runId: string): RunObjectsInput {
  const language = findLanguage('python')!;
  const job: HarnessJob = {
    version: HARNESS_PROTOCOL_VERSION,
    runId,
    nonce: randomBytes(16).toString('base64url'),
    language: { id: language.id, run: language.run, mainFile: language.defaultMainFile },
    files: [{ path: language.defaultMainFile, contentBase64: Buffer.from(HELLO).toString('base64') }],
    supportFiles: [],
    compileLimits: resolveLimits(DEFAULT_COMPILE_LIMITS, { network: false }),
    stdin: '',
    runLimits: resolveLimits(DEFAULT_LIMITS),
    tests: [],
  };
  const { sealed, key } = sealJob(JSON.stringify(job));
  return {
    runId,
    attempt: 1,
    sandbox: sandboxFor(job, language),
    sealedJob: sealed,
    jobKey: key,
    now: new Date(),
  };
}

const conditionOf = (job: V1Job, type: string) =>
  job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

/**
 * What "done" means for the bare client: the Job's Complete condition (the Job controller's
 * verdict, as `kubectl wait --for=condition=Complete` sees it), or its pod Succeeded (what
 * Aperture waits for before it reads the log).
 */
export type DoneWhen = 'job-complete' | 'pod-succeeded';

const WATCHED = {
  'job-complete': {
    resource: 'jobs',
    path: (ns: string) => `/apis/batch/v1/namespaces/${ns}/jobs`,
    jobName: (job: V1Job) => job.metadata?.name,
    done: (job: V1Job) => conditionOf(job, 'Complete') !== undefined,
    failed: (job: V1Job) => conditionOf(job, 'Failed') !== undefined,
  },
  'pod-succeeded': {
    resource: 'pods',
    path: (ns: string) => `/api/v1/namespaces/${ns}/pods`,
    jobName: (pod: V1Pod) => pod.metadata?.labels?.['batch.kubernetes.io/job-name'],
    done: (pod: V1Pod) => pod.status?.phase === 'Succeeded',
    failed: (pod: V1Pod) => pod.status?.phase === 'Failed',
  },
} as const;

/**
 * One Watch (on Jobs, or on their pods) for every Job of a label selector, and a promise per Job
 * that it is done. Re-watches from the last resourceVersion when the API server ends the watch.
 */
export class Completions {
  private readonly waiters = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private controller: AbortController | undefined;
  private resourceVersion: string | undefined;
  private stopped = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly labelSelector: string,
    private readonly doneWhen: DoneWhen,
    private readonly counts: RequestCounts,
  ) {}

  async start(): Promise<void> {
    const watched = WATCHED[this.doneWhen];
    this.counts.count('watch', watched.resource);
    this.controller = await new Watch(this.kc).watch(
      watched.path(this.namespace),
      {
        labelSelector: this.labelSelector,
        allowWatchBookmarks: true,
        ...(this.resourceVersion ? { resourceVersion: this.resourceVersion } : {}),
      },
      (phase, object: V1Job & V1Pod) => this.onEvent(phase, object),
      (error) => this.restart(error),
    );
  }

  private restart(error: unknown): void {
    if (this.stopped) return;
    if (error && (error as Error).name !== 'AbortError') {
      process.stderr.write(`bare watch ended: ${(error as Error).message ?? error}\n`);
      this.resourceVersion = undefined; // e.g. 410 Gone: start over; the Jobs waited for still exist
    }
    setTimeout(() => void this.start().catch((e: unknown) => this.restart(e)), error ? 500 : 0);
  }

  /** Register before creating the Job, so no event is missed. */
  completion(name: string, timeoutMs = 180_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(name);
        reject(new Error(`bare Job ${name} not done (${this.doneWhen}) after ${timeoutMs} ms`));
      }, timeoutMs);
      const settle =
        <T>(fn: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          fn(value);
        };
      this.waiters.set(name, { resolve: settle(resolve), reject: settle(reject) });
    });
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
    for (const { reject } of this.waiters.values()) reject(new Error('stopped'));
  }

  private onEvent(phase: string, object: V1Job & V1Pod): void {
    this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
    if (phase === 'BOOKMARK') return;
    const watched = WATCHED[this.doneWhen];
    const name = watched.jobName(object) ?? '';
    const waiter = this.waiters.get(name);
    if (!waiter) return;
    if (watched.done(object)) {
      this.waiters.delete(name);
      waiter.resolve();
    } else if (watched.failed(object) || phase === 'DELETED') {
      this.waiters.delete(name);
      waiter.reject(new Error(`bare Job ${name} failed: ${JSON.stringify(object.status)}`));
    }
  }
}

export interface BareClient {
  readonly counts: RequestCounts;
  /** One run: create the Job and its Secret, wait until it is done, delete the Job. */
  run(input: RunObjectsInput): Promise<void>;
  stop(): void;
}

export async function startBareClient(
  kc: KubeConfig,
  pod: RunPodOptions,
  doneWhen: DoneWhen,
): Promise<BareClient> {
  const batch = kc.makeApiClient(BatchV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const counts = new RequestCounts();
  const selector = `dev.aperture.instance=${pod.instance}`;
  const completions = new Completions(kc, pod.namespace, selector, doneWhen, counts);
  await completions.start();
  return {
    counts,
    async run(input) {
      const body = renderRunJob(pod, input);
      const name = body.metadata?.name ?? '';
      const done = completions.completion(name);
      counts.count('create', 'jobs');
      const job = await batch.createNamespacedJob({ namespace: pod.namespace, body });
      counts.count('create', 'secrets');
      await core.createNamespacedSecret({
        namespace: pod.namespace,
        body: renderJobSecret(pod, input, { name, uid: job.metadata?.uid ?? '' }),
      });
      try {
        await done;
      } finally {
        counts.count('delete', 'jobs');
        await batch.deleteNamespacedJob({ name, namespace: pod.namespace, propagationPolicy: 'Background' });
      }
    },
    stop: () => completions.stop(),
  };
}

/** `count` hello Jobs, `inFlight` at a time; resolves with the wall time. */
export async function bareThroughput(
  client: BareClient,
  count: number,
  inFlight: number,
  onDone: () => void,
): Promise<number> {
  const tag = randomBytes(3).toString('hex');
  return saturate(count, inFlight, async (i) => {
    await client.run(helloRunObjects(`run_bare${tag}${i}`));
    onDone();
  });
}

/**
 * Tier B's bare Job: Aperture's own pod (same hardening, resources and placement) running
 * `python3 -c 'print("hello")'` directly instead of the harness, and no job Secret.
 */
export function bareHelloJob(pod: RunPodOptions, input: RunObjectsInput): V1Job {
  const job = renderRunJob(pod, input);
  const spec = job.spec!.template.spec!;
  spec.volumes = (spec.volumes ?? []).filter((v) => v.name !== 'job');
  const container = spec.containers[0]!;
  container.command = ['python3', '-c', HELLO];
  delete container.env;
  container.volumeMounts = (container.volumeMounts ?? []).filter((m) => m.name !== 'job');
  return job;
}

/** One Tier B bare hello: create, watch until Complete, read the log, delete. Resolves with ms. */
export async function bareHello(
  kc: KubeConfig,
  pod: RunPodOptions,
  completions: Completions,
): Promise<number> {
  const batch = kc.makeApiClient(BatchV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const input = helloRunObjects(`run_barehello${randomBytes(3).toString('hex')}`);
  const body = bareHelloJob(pod, input);
  const name = body.metadata?.name ?? '';
  const start = performance.now();
  const done = completions.completion(name);
  try {
    await batch.createNamespacedJob({ namespace: pod.namespace, body });
    await done;
    const pods = await core.listNamespacedPod({
      namespace: pod.namespace,
      labelSelector: `batch.kubernetes.io/job-name=${name}`,
    });
    const podName = pods.items[0]?.metadata?.name ?? '';
    const log = await core.readNamespacedPodLog({
      name: podName,
      namespace: pod.namespace,
      container: 'sandbox',
    });
    const ms = performance.now() - start;
    if (log !== 'hello\n') throw new Error(`bare hello printed ${JSON.stringify(log)}`);
    return ms;
  } finally {
    await batch.deleteNamespacedJob({ name, namespace: pod.namespace, propagationPolicy: 'Background' });
  }
}
