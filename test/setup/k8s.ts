/**
 * Vitest globalSetup for the `k8s` project (`*.k8s.test.ts`): a real Kubernetes control plane.
 *
 * With KUBECONFIG_APERTURE_TEST set, that cluster is used as is (checked for /readyz, never torn
 * down). Otherwise `test/cluster/up` builds the binaries from Go modules when the cache is cold
 * (progress on stderr; the first build takes many minutes) and starts etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler and kwok on loopback; `test/cluster/down` stops exactly
 * those processes after the run. `up` also gets our PID, so the cluster goes away by itself if
 * this process dies without running the teardown.
 *
 * Tests read the admin kubeconfig path with `inject('k8sKubeconfig')`; it is also exported as
 * KUBECONFIG_APERTURE_TEST to the test workers. Tier B, a real kubelet + containerd node, is
 * added where the machine can host it (APERTURE_K8S_REAL_NODE=auto, the default; 1 = required,
 * 0 = never); `inject('k8sRealNode')` says whether one is there.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    k8sKubeconfig: string;
    k8sRealNode: boolean;
  }
}

const clusterDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'cluster');

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env.KUBECONFIG_APERTURE_TEST;
  if (existing) {
    await ping(existing).catch((error: Error) => {
      throw new Error(`KUBECONFIG_APERTURE_TEST=${existing}: cluster not reachable: ${error.message}`);
    });
    project.provide('k8sKubeconfig', existing);
    project.provide('k8sRealNode', await hasRealNode(existing));
    return async () => {};
  }

  // Tier B: `auto` (default) adds a real node where this machine can host one; 1 requires it; 0 never.
  const realNode = process.env.APERTURE_K8S_REAL_NODE ?? 'auto';
  const started = Date.now();
  const args = ['--owner-pid', String(process.pid), `--real-node=${realNode}`];
  const stdout = await runScript('up', args).catch((error: Error) => {
    throw new Error(`the test Kubernetes cluster could not be started: ${error.message}`, { cause: error });
  });
  const kubeconfig = stdout.trim().split('\n').pop() ?? '';
  if (!kubeconfig.endsWith('.kubeconfig')) {
    throw new Error(`test/cluster/up printed no kubeconfig path (stdout: ${JSON.stringify(stdout)})`);
  }
  console.log(`[k8s] cluster ready in ${Math.round((Date.now() - started) / 1000)} s: ${kubeconfig}`);
  process.env.KUBECONFIG_APERTURE_TEST = kubeconfig;
  project.provide('k8sKubeconfig', kubeconfig);
  project.provide('k8sRealNode', await hasRealNode(kubeconfig));

  return async () => {
    delete process.env.KUBECONFIG_APERTURE_TEST;
    // A component that crashed during the run is reported by `down` (with its log tail) on stderr.
    await runScript('down', [dirname(kubeconfig)]).catch((error: Error) => {
      console.error(`[k8s] teardown: ${error.message}`);
    });
  };
}

/** Runs test/cluster/<name>, streaming its progress (stderr) to ours; resolves with its stdout. */
function runScript(name: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(clusterDir, name), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errTail = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      process.stderr.write(chunk);
      errTail = (errTail + chunk).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`test/cluster/${name} exited with ${code}:\n${errTail.trim()}`));
    });
  });
}

function client(kubeconfig: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc.makeApiClient(CoreV1Api);
}

async function ping(kubeconfig: string): Promise<void> {
  await client(kubeconfig).listNamespace({ limit: 1 });
}

/** A node not managed by kwok whose kubelet reports Ready. */
async function hasRealNode(kubeconfig: string): Promise<boolean> {
  const nodes = await client(kubeconfig).listNode();
  return nodes.items.some(
    (node) =>
      node.metadata?.annotations?.['kwok.x-k8s.io/node'] !== 'fake' &&
      node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
}
