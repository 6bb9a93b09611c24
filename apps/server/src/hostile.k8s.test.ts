import { KubernetesRunExecutor } from '@aperture/backend-kubernetes';
import { throwAwayRunsNamespace } from '@aperture/backend-kubernetes/testing/namespaces';
import { BatchV1Api, KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { describeHostileSubmissions } from './testing/hostile-suite.ts';

/**
 * The hostile suite with runs as Jobs on the test cluster's real node (Tier B), in the isolated
 * engine (ADR 0006): the Localhost seccomp profile test/cluster/real-node.sh installs from
 * deploy/seccomp/, and runlimit --isolate --userns for every execution.
 */
const admin = new KubeConfig();
admin.loadFromFile(inject('k8sKubeconfig'));
const runs = throwAwayRunsNamespace(admin, 'hostile');
const namespace = runs.name;
const INSTANCE = `test-hostile-k8s-${process.pid}`;

describe.runIf(inject('k8sRealNode'))('on Kubernetes', () => {
  beforeAll(runs.create);
  afterAll(runs.remove);

  describeHostileSubmissions('Kubernetes, real node', {
    createExecutor: () =>
      KubernetesRunExecutor.create({
        kubeConfig: admin,
        namespace,
        instance: INSTANCE,
        imagePrefix: 'localhost/',
        imagePullPolicy: 'Never',
        nodeSelector: { 'aperture.dev/node-kind': 'real' },
        tolerations: [
          { key: 'aperture.dev/real-node', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
        ],
        defaultArchitectures: [],
        runSeccompProfile: 'aperture/runner.json',
        logger: pino({ level: 'silent' }),
      }),
    sandboxes: async () =>
      (
        await admin.makeApiClient(BatchV1Api).listNamespacedJob({
          namespace,
          labelSelector: `dev.aperture.instance=${INSTANCE}`,
        })
      ).items.map((job) => job.metadata?.name ?? ''),
    // On Kubernetes a run's network is cut off by the runs namespace's NetworkPolicy, and the test
    // cluster's CNI (the bridge plugin) enforces none; `aperture doctor` reports such clusters.
    networkNotIsolated: 'the test cluster’s CNI does not enforce NetworkPolicy',
  });
});
