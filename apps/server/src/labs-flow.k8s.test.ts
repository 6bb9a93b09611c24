/**
 * The whole lab flow over HTTP on the test cluster's real node (Tier B: kubelet and containerd,
 * lab images imported): the server builds KubernetesLabProvisioner from its ordinary settings
 * (kubeconfig, placement, pull policy), and the same steps as on Podman run against it
 * (testing/lab-flow.ts). No volumes (storage 0): the test cluster has no storage provisioner.
 * kwok nodes run no containers, so there the checks and digests cannot be real: real node only.
 */
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runLabFlow } from './testing/lab-flow.ts';
import { ScriptedExecutor } from './testing/scripted-executor.ts';
import { startTestServer, type TestServer } from './testing/test-server.ts';

const kubeconfig = inject('k8sKubeconfig');
const INSTANCE = `labflow-k8s-${randomBytes(3).toString('hex')}`;

async function labNamespaces(): Promise<string[]> {
  const admin = new KubeConfig();
  admin.loadFromFile(kubeconfig);
  const list = await admin
    .makeApiClient(CoreV1Api)
    .listNamespace({ labelSelector: `dev.aperture.instance=${INSTANCE}` });
  return list.items.map((namespace) => namespace.metadata?.name ?? '');
}

describe.runIf(inject('k8sRealNode'))('the lab flow on Kubernetes (real node)', { timeout: 600_000 }, () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(new ScriptedExecutor(), {
      backend: 'kubernetes',
      kubeconfig,
      instance: INSTANCE,
      imagePrefix: 'localhost/',
      k8sImagePullPolicy: 'Never',
      k8sNodeSelector: 'aperture.dev/node-kind=real',
      k8sTolerations: 'aperture.dev/real-node=true:NoSchedule',
      labReconcileSeconds: 3600,
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('create → checkpoint → publish → deploy → reset → stop and open → destroy', async () => {
    // Small: the real node is this 2-core machine, and the dev copy and two students' copies run at once.
    const times = await runLabFlow(t, { cpu: '300m', memory: '384Mi', storage: '0', stepSeconds: 240 });
    expect(await labNamespaces()).toEqual([]);
    console.info('lab flow on Kubernetes (ms):', JSON.stringify(times));
  });
});
