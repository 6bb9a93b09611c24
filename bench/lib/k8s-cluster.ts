/**
 * The bench's Kubernetes: a cluster of test/cluster/ (started and stopped here, or an existing one
 * named by a kubeconfig), a throw-away runs namespace, and the kwok fake nodes of the bench.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { dirname, join } from 'node:path';
import { createRunsNamespace } from '@aperture/backend-kubernetes/testing/namespaces';
import { BatchV1Api, CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';

const CLUSTER_DIR = new URL('../../test/cluster/', import.meta.url).pathname;

export interface BenchCluster {
  kubeconfig: string;
  kc: KubeConfig;
  /** True when this process started it (and so stops it). */
  owned: boolean;
  stop(): Promise<void>;
}

function script(name: 'up' | 'down', args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [`${CLUSTER_DIR}${name}`, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout.trim()) : reject(new Error(`test/cluster/${name} exited ${code}`)),
    );
  });
}

function kubeConfigOf(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** An existing cluster (never stopped here), or a new one from `test/cluster/up ARGS`. */
export async function openCluster(existing: string | undefined, upArgs: string[]): Promise<BenchCluster> {
  if (existing)
    return { kubeconfig: existing, kc: kubeConfigOf(existing), owned: false, stop: async () => {} };
  const kubeconfig = (await script('up', upArgs)).split('\n').pop() ?? '';
  let stopped = false;
  return {
    kubeconfig,
    kc: kubeConfigOf(kubeconfig),
    owned: true,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await script('down', [dirname(kubeconfig)]);
    },
  };
}

/** A namespace like deploy/rbac/'s runs namespace: PodSecurity `restricted` enforced. */
export const benchNamespace = (kc: KubeConfig) => createRunsNamespace(kc, 'bench');

export const BENCH_NODE_LABEL = 'aperture.dev/bench';

/**
 * `count` kwok nodes (amd64) that advertise the fake kubelet's port. kwok manages them because of
 * the annotation; its node-initialize stage keeps the addresses given here and, without
 * `--node-port`, writes no daemonEndpoints, so the port stays as created.
 */
export async function createFakeNodes(
  kc: KubeConfig,
  group: string,
  count: number,
  kubeletPort: number,
): Promise<{ selector: Record<string, string>; remove: () => Promise<void> }> {
  const core = kc.makeApiClient(CoreV1Api);
  const names = Array.from({ length: count }, (_, i) => `${group}-node-${i}`);
  const node = (name: string): V1Node => ({
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        [BENCH_NODE_LABEL]: group,
        type: 'kwok',
        'aperture.dev/node-kind': 'fake',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/os': 'linux',
        'kubernetes.io/hostname': name,
      },
    },
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion: 'fake',
        kubeProxyVersion: 'fake',
        bootID: '',
        containerRuntimeVersion: 'fake',
        kernelVersion: 'fake',
        machineID: '',
        osImage: '',
        systemUUID: '',
      },
    },
  });
  await Promise.all(names.map((name) => core.createNode({ body: node(name) })));
  const remove = async () => {
    await Promise.all(names.map((name) => core.deleteNode({ name }).catch(() => undefined)));
  };
  try {
    await waitForNodes(core, group, count, kubeletPort);
  } catch (error) {
    await remove();
    throw error;
  }
  return { selector: { [BENCH_NODE_LABEL]: group }, remove };
}

async function waitForNodes(core: CoreV1Api, group: string, count: number, port: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const nodes = (await core.listNode({ labelSelector: `${BENCH_NODE_LABEL}=${group}` })).items;
    const ready = nodes.filter((n) =>
      n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    const wrongPort = ready.find((n) => n.status?.daemonEndpoints?.kubeletEndpoint?.Port !== port);
    if (wrongPort)
      throw new Error(
        `kwok changed node ${wrongPort.metadata?.name}'s kubelet port to ${wrongPort.status?.daemonEndpoints?.kubeletEndpoint?.Port}`,
      );
    if (ready.length === count) return;
    if (Date.now() > deadline) throw new Error(`only ${ready.length} of ${count} fake nodes became Ready`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Waits until the namespace holds no run objects any more (the garbage collector is behind). */
export async function settle(kc: KubeConfig, namespace: string, timeoutMs = 300_000): Promise<number> {
  const core = kc.makeApiClient(CoreV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const labelSelector = 'dev.aperture.managed=true';
  const start = Date.now();
  for (;;) {
    const [jobs, pods, secrets] = await Promise.all([
      batch.listNamespacedJob({ namespace, labelSelector }),
      core.listNamespacedPod({ namespace, labelSelector }),
      core.listNamespacedSecret({ namespace, labelSelector }),
    ]);
    const left = jobs.items.length + pods.items.length + secrets.items.length;
    if (left === 0) return Date.now() - start;
    if (Date.now() - start > timeoutMs)
      throw new Error(
        `${jobs.items.length} Jobs, ${pods.items.length} pods, ${secrets.items.length} Secrets still there`,
      );
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** True when the cluster has a Ready real node (Tier B), as test/cluster/real-node.sh labels it. */
export async function hasRealNode(kc: KubeConfig): Promise<boolean> {
  const nodes = await kc.makeApiClient(CoreV1Api).listNode({ labelSelector: 'aperture.dev/node-kind=real' });
  return nodes.items.some((n) =>
    n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
}

/** kube-controller-manager's own client: requests sent, and seconds they waited in its rate limiter. */
export interface ControllerManagerLoad {
  requests: number;
  rateLimitedSeconds: number;
}

/**
 * Reads kube-controller-manager's /metrics of a test/cluster/ cluster (its port and the admin
 * certificate are in the kubeconfig's directory); undefined for any other cluster. Diagnostic only:
 * it shows whether the Job controller's client-side rate limit (--kube-api-qps, default 20) is what
 * bounds throughput.
 */
export async function controllerManagerLoad(kubeconfig: string): Promise<ControllerManagerLoad | undefined> {
  const dir = dirname(kubeconfig);
  const port = /^kcm=(\d+)$/m.exec(await readFile(join(dir, 'ports'), 'utf8').catch(() => ''))?.[1];
  if (!port) return undefined;
  const [cert, key] = await Promise.all([
    readFile(join(dir, 'pki/admin.crt')),
    readFile(join(dir, 'pki/admin.key')),
  ]);
  // kube-controller-manager serves a self-signed certificate of its own on loopback.
  const text = await new Promise<string>((resolve, reject) => {
    const request = httpsGet(
      { host: '127.0.0.1', port: Number(port), path: '/metrics', cert, key, rejectUnauthorized: false },
      (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (d: string) => (body += d));
        response.on('end', () => resolve(body));
      },
    );
    request.on('error', reject);
  }).catch(() => '');
  const total = (metric: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(`${metric}{`))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  if (!text) return undefined;
  return {
    requests: total('rest_client_requests_total'),
    rateLimitedSeconds: total('rest_client_rate_limiter_duration_seconds_sum'),
  };
}
