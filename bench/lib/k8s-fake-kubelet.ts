/**
 * The log endpoint of a kubelet, for kwok's fake nodes (bench/kubernetes.ts).
 *
 * A kwok node runs no container, so its pods have no log, and the Kubernetes backend reads a
 * run's result from the pod log (`GET pods/log`, which the API server proxies over HTTPS to
 * `node.status.addresses[InternalIP]:node.status.daemonEndpoints.kubeletEndpoint.Port`). kwok
 * v0.7.0 sets that port only when started with `--node-port`, which test/cluster/up does not do,
 * so the bench creates its fake nodes itself with this server's port in their status (kwok's
 * node stages leave a port they did not write alone), and this server answers
 * `GET /containerLogs/{namespace}/{pod}/{container}` with what the harness would have printed:
 * the sealed job is opened with the key from the pod's environment, as the harness does, and an
 * `ok` result with every test accepted is framed with the job's nonce.
 *
 * It runs as a child process (IPC to the bench) so its caches and CPU are not counted in the
 * server's RSS, and its API reads (one list+watch of pods and of Secrets, like a kubelet's
 * informers) are its own, never in Aperture's request counter. The API server starts without
 * --kubelet-certificate-authority, so a self-signed certificate is accepted; a real kubelet would
 * also authenticate the API server's client certificate, this one does not check it.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type ExecutionOutcome,
  frameResult,
  HARNESS_PROTOCOL_VERSION,
  type HarnessJob,
  type HarnessResult,
} from '@aperture/core';
import { openSealedJob } from '@aperture/harness';
import {
  CoreV1Api,
  type Informer,
  KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  type ObjectCache,
  type V1Pod,
  type V1Secret,
} from '@kubernetes/client-node';

/** What the bench sees of the fake kubelet. */
export interface FakeKubeletStats {
  logsServed: number;
  /** Logs that could not be produced (no pod, no Secret, a job that does not open). */
  logsFailed: number;
  /** Reads beyond its two informers: a pod or Secret not yet in the cache, fetched directly. */
  fallbackGets: number;
  informerConnects: number;
}

/** Run pods and their Secrets of every Aperture instance (bench and bare alike). */
const RUN_SELECTOR = 'dev.aperture.managed=true,app.kubernetes.io/component=run';
const CACHE_WAIT_MS = 5000;
export const SIMULATED_STDOUT = 'simulated by the bench fake kubelet\n';

export function simulatedResult(job: HarnessJob): HarnessResult {
  const outcome: ExecutionOutcome = {
    stdout: SIMULATED_STDOUT,
    stderr: '',
    exitCode: 0,
    signal: null,
    timeMs: 1,
    wallMs: 1,
    memoryBytes: 1024 * 1024,
    truncated: false,
  };
  const tests = job.tests.map((test) => ({
    ...outcome,
    stdout: test.expectedOutput,
    name: test.name,
    verdict: 'accepted' as const,
    points: test.points,
    maxPoints: test.points,
  }));
  const score = tests.reduce((sum, t) => sum + t.points, 0);
  return {
    version: HARNESS_PROTOCOL_VERSION,
    status: 'ok',
    ...(tests.length === 0 ? { execution: { ...outcome, verdict: 'accepted' as const } } : {}),
    tests,
    score,
    maxScore: score,
  };
}

/** A self-signed certificate for 127.0.0.1 (openssl, as test/cluster/up makes its PKI). */
function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'aperture-fake-kubelet-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=aperture-bench-fake-kubelet',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One informer of a namespace's run objects, with a wait for an object it has not seen yet. */
class Cache<T extends KubernetesObject> {
  private readonly informer: Informer<T> & ObjectCache<T>;
  private readonly waiters = new Map<string, Array<(object: T) => void>>();

  constructor(
    kc: KubeConfig,
    path: string,
    list: () => Promise<KubernetesListObject<T>>,
    stats: FakeKubeletStats,
  ) {
    this.informer = makeInformer(kc, path, list, RUN_SELECTOR);
    this.informer.on('connect', () => {
      stats.informerConnects += 1;
    });
    const wake = (object: T) => {
      const name = object.metadata?.name ?? '';
      for (const resolve of this.waiters.get(name) ?? []) resolve(object);
      this.waiters.delete(name);
    };
    this.informer.on('add', wake);
    this.informer.on('update', wake);
    // The watch ends now and then; the informer re-lists, as a kubelet's would.
    this.informer.on('error', () => setTimeout(() => void this.informer.start(), 1000));
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  /** The cached object, or the next version the watch brings within `ms`. */
  async get(namespace: string, name: string, ms = CACHE_WAIT_MS): Promise<T | undefined> {
    const cached = this.informer.get(name, namespace);
    if (cached) return cached;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), ms);
      const list = this.waiters.get(name) ?? [];
      list.push((object) => {
        clearTimeout(timer);
        resolve(object);
      });
      this.waiters.set(name, list);
    });
  }
}

export class FakeKubelet {
  readonly stats: FakeKubeletStats = { logsServed: 0, logsFailed: 0, fallbackGets: 0, informerConnects: 0 };
  private readonly core: CoreV1Api;
  private readonly pods: Cache<V1Pod>;
  private readonly secrets: Cache<V1Secret>;
  private readonly server = createServer(selfSignedCertificate(), (req, res) => void this.handle(req, res));

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    const labelSelector = RUN_SELECTOR;
    this.pods = new Cache<V1Pod>(
      kc,
      `/api/v1/namespaces/${namespace}/pods`,
      () => this.core.listNamespacedPod({ namespace, labelSelector }),
      this.stats,
    );
    this.secrets = new Cache<V1Secret>(
      kc,
      `/api/v1/namespaces/${namespace}/secrets`,
      () => this.core.listNamespacedSecret({ namespace, labelSelector }),
      this.stats,
    );
  }

  /** Starts the informers, then listens on 127.0.0.1; resolves with the port. */
  async start(): Promise<number> {
    await Promise.all([this.pods.start(), this.secrets.start()]);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('the fake kubelet has no port');
    return address.port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([this.pods.stop(), this.secrets.stop()]);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/?]+)/.exec(req.url ?? '');
    if (req.method !== 'GET' || !match) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('the fake kubelet serves only containerLogs\n');
      return;
    }
    const [, namespace, pod, container] = match.map((part) => decodeURIComponent(part)) as [
      string,
      string,
      string,
      string,
    ];
    try {
      const log = await this.logOf(namespace, pod, container);
      this.stats.logsServed += 1;
      res.writeHead(200, { 'content-type': 'text/plain' }).end(log);
    } catch (error) {
      this.stats.logsFailed += 1;
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`);
    }
  }

  /** What the harness in that container would have printed. */
  private async logOf(namespace: string, podName: string, container: string): Promise<string> {
    if (namespace !== this.namespace) throw new Error(`namespace ${namespace} is not simulated`);
    const pod = await this.cached(this.pods, podName, () =>
      this.core.readNamespacedPod({ namespace, name: podName }),
    );
    const spec = pod.spec?.containers.find((c) => c.name === container);
    const key = spec?.env?.find((e) => e.name === 'APERTURE_JOB_KEY')?.value;
    const secretName = pod.spec?.volumes?.find((v) => v.name === 'job')?.secret?.secretName;
    if (!key || !secretName) throw new Error(`pod ${podName} is not an Aperture run pod`);
    const secret = await this.cached(this.secrets, secretName, () =>
      this.core.readNamespacedSecret({ namespace, name: secretName }),
    );
    const sealed = Buffer.from(secret.data?.['job'] ?? '', 'base64').toString('utf8');
    const job = JSON.parse(openSealedJob(sealed, key)) as HarnessJob;
    return frameResult(simulatedResult(job), job.nonce);
  }

  private async cached<T extends KubernetesObject>(
    cache: Cache<T>,
    name: string,
    read: () => Promise<T>,
  ): Promise<T> {
    const object = await cache.get(this.namespace, name);
    if (object) return object;
    this.stats.fallbackGets += 1;
    return read();
  }
}

type ToChild = { type: 'stats' };
type FromChild = { type: 'ready'; port: number } | { type: 'stats'; stats: FakeKubeletStats };

export interface RunningFakeKubelet {
  port: number;
  stats(): Promise<FakeKubeletStats>;
  stop(): Promise<void>;
}

/** Starts the fake kubelet in a child process, watching run objects in `namespace`. */
export function spawnFakeKubelet(kubeconfig: string, namespace: string): Promise<RunningFakeKubelet> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [kubeconfig, namespace], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = (type: FromChild['type']) =>
    new Promise<FromChild>((resolve, reject) => {
      const onMessage = (message: FromChild) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message);
      };
      const onExit = (code: number | null) => reject(new Error(`the fake kubelet exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  return next('ready').then((ready) => ({
    port: ready.type === 'ready' ? ready.port : 0,
    stats: async () => {
      const reply = next('stats');
      child.send({ type: 'stats' } satisfies ToChild);
      const message = await reply;
      return message.type === 'stats' ? message.stats : Promise.reject(new Error('no stats'));
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  }));
}

/** Entry point of the child process: argv = kubeconfig, namespace. */
async function main(): Promise<void> {
  const [kubeconfig, namespace] = process.argv.slice(2);
  if (!kubeconfig || !namespace || !process.send) throw new Error('usage: (IPC child) KUBECONFIG NAMESPACE');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const kubelet = new FakeKubelet(kc, namespace);
  const port = await kubelet.start();
  process.send({ type: 'ready', port });
  process.on('message', (message: ToChild) => {
    if (message.type === 'stats') process.send?.({ type: 'stats', stats: kubelet.stats });
  });
  process.on('disconnect', () => void kubelet.stop().finally(() => process.exit(0)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
