/**
 * Helpers for the *.k8s.test.ts suites of this package: the admin client of the test cluster,
 * throw-away namespaces, and executors placed on the real node (Tier B) or on kwok (Tier A).
 */
import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';

export { createRunsNamespace } from './namespaces.ts';

import { pino } from 'pino';
import { inject } from 'vitest';
import { type KubernetesExecutorOptions, KubernetesRunExecutor } from '../kubernetes-run-executor.ts';
import { instanceSelector } from '../labels.ts';

export const logger = pino({ level: process.env['APERTURE_TEST_LOG'] ?? 'silent' });

export function adminKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('k8sKubeconfig'));
  return kc;
}

export const hasRealNode = (): boolean => inject('k8sRealNode');

/** Where run pods go: the real node (taint tolerated, images preloaded) or the kwok fake nodes. */
export function placement(tier: 'real' | 'kwok' | 'nowhere'): Partial<KubernetesExecutorOptions> {
  if (tier === 'real')
    return {
      imagePullPolicy: 'Never',
      nodeSelector: { 'aperture.dev/node-kind': 'real' },
      tolerations: [
        { key: 'aperture.dev/real-node', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
      ],
      defaultArchitectures: [],
    };
  if (tier === 'kwok')
    return {
      nodeSelector: { type: 'kwok' },
      tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
      defaultArchitectures: ['amd64'],
    };
  // No node has this label: the pod stays Pending, so a test can look at it and act on it.
  return { nodeSelector: { 'aperture.dev/test': 'no-such-node' }, defaultArchitectures: [] };
}

export function createExecutor(
  kubeConfig: KubeConfig,
  namespace: string,
  instance: string,
  extra: Partial<KubernetesExecutorOptions> = {},
): Promise<KubernetesRunExecutor> {
  return KubernetesRunExecutor.create({
    kubeConfig,
    namespace,
    instance,
    imagePrefix: 'localhost/',
    logger,
    sweepIntervalMs: 0,
    ...extra,
  });
}

/**
 * What of this instance is still there, one entry per sandbox: its Jobs, and pods still running
 * whose Job is already gone. Must be none after each run.
 */
export async function leftovers(kc: KubeConfig, namespace: string, instance: string): Promise<string[]> {
  const labelSelector = instanceSelector(instance);
  const [jobs, pods] = await Promise.all([
    kc.makeApiClient(BatchV1Api).listNamespacedJob({ namespace, labelSelector }),
    kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector }),
  ]);
  const jobNames = new Set(jobs.items.map((j) => j.metadata?.name));
  const orphanPods = pods.items.filter(
    (p) =>
      p.status?.phase !== 'Succeeded' &&
      p.status?.phase !== 'Failed' &&
      !jobNames.has(p.metadata?.labels?.['batch.kubernetes.io/job-name']),
  );
  return [...[...jobNames].map((name) => `job/${name}`), ...orphanPods.map((p) => `pod/${p.metadata?.name}`)];
}

export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
