import { throwAwayRunsNamespace } from '@aperture/backend-kubernetes/testing/namespaces';
import { BatchV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { crashAndRecover } from './testing/crash-recovery.ts';

const kubeconfig = inject('k8sKubeconfig');
const admin = new KubeConfig();
admin.loadFromFile(kubeconfig);
const runs = throwAwayRunsNamespace(admin, 'recovery');
const namespace = runs.name;
const INSTANCE = `test-recovery-k8s-${process.pid}`;

beforeAll(runs.create);
afterAll(runs.remove);

const ourJobs = async () =>
  (
    await admin.makeApiClient(BatchV1Api).listNamespacedJob({
      namespace,
      labelSelector: `dev.aperture.instance=${INSTANCE}`,
    })
  ).items.map((job) => job.metadata?.name ?? '');

describe.runIf(inject('k8sRealNode'))('crash recovery (kill -9, Kubernetes real node)', () => {
  it('after kill -9 and a restart, every run ends with exactly one result, and no Job is left', async () => {
    await crashAndRecover({
      env: {
        APERTURE_INSTANCE: INSTANCE,
        APERTURE_BACKEND: 'kubernetes',
        APERTURE_KUBECONFIG: kubeconfig,
        APERTURE_K8S_NAMESPACE: namespace,
        APERTURE_K8S_PRIORITY_CLASS: 'none',
        APERTURE_K8S_IMAGE_PULL_POLICY: 'Never',
        APERTURE_K8S_NODE_SELECTOR: 'aperture.dev/node-kind=real',
        APERTURE_K8S_TOLERATIONS: 'aperture.dev/real-node=true:NoSchedule',
      },
      sandboxes: ourJobs,
    });
    expect(await ourJobs()).toEqual([]);
  }, 180_000);
});
