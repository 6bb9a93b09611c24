/**
 * The Kubernetes RunExecutor against the real test cluster (test/cluster/). With a real node
 * (Tier B) the shared backend contract runs in full: code really executes in pods. On kwok
 * (Tier A) everything that does not need a container: admission of the hardened pod under
 * PodSecurity `restricted`, the objects and their ownership, cancel, eviction and node loss as
 * infrastructure failures, the sweepers.
 */
import { randomBytes } from 'node:crypto';
import { describeRunExecutorContract, file, requestFor, runOf, test } from '@aperture/backend-contract';
import {
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesRunExecutor } from './kubernetes-run-executor.ts';
import { instanceSelector } from './labels.ts';
import {
  adminKubeConfig,
  createExecutor,
  createRunsNamespace,
  eventually,
  hasRealNode,
  leftovers,
  placement,
} from './testing/cluster.ts';
import { CuttableProxy } from './testing/cuttable-proxy.ts';

const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const batch = admin.makeApiClient(BatchV1Api);
let namespace: { name: string; remove: () => Promise<void> };
const instance = `k8s-test-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  namespace = await createRunsNamespace(admin, 'runs');
});
afterAll(async () => namespace?.remove());

const podsOf = async (runId: string, of = `${instance}-a`): Promise<V1Pod[]> =>
  (
    await core.listNamespacedPod({
      namespace: namespace.name,
      labelSelector: `${instanceSelector(of)},dev.aperture.run=${runId}`,
    })
  ).items;

const secretsOf = async (runId: string, of = `${instance}-a`) =>
  (
    await core.listNamespacedSecret({
      namespace: namespace.name,
      labelSelector: `${instanceSelector(of)},dev.aperture.run=${runId}`,
    })
  ).items;

/** What the kubelet does to a pod it evicts (as the admin, through the status subresource). */
async function evict(pod: V1Pod, message: string): Promise<void> {
  await core.patchNamespacedPodStatus(
    {
      name: pod.metadata!.name!,
      namespace: namespace.name,
      body: { status: { phase: 'Failed', reason: 'Evicted', message } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

const ISOLATED = { ...placement('real'), runSeccompProfile: 'aperture/runner.json' };

describe.runIf(hasRealNode())('on the real node (Tier B)', () => {
  describeRunExecutorContract(
    'kubernetes (real node)',
    () => createExecutor(admin, namespace.name, instance, placement('real')),
    { leftovers: () => leftovers(admin, namespace.name, instance) },
  );

  // The isolated engine (ADR 0006): the Localhost profile test/cluster/real-node.sh installs, and
  // runlimit --isolate --userns for every execution. The same contract as the plain mode.
  describeRunExecutorContract(
    'kubernetes (real node, isolated)',
    () => createExecutor(admin, namespace.name, `${instance}-iso`, ISOLATED),
    { leftovers: () => leftovers(admin, namespace.name, `${instance}-iso`) },
  );

  it.each([
    // Plain: the sealed job file is readable (same uid) but useless without the key (ADR 0005).
    ['plain', {}, 'FILE:aperture-sealed-v1.'],
    // Isolated: its directory is covered in every execution's mount namespace (ADR 0006).
    ['isolated', { runSeccompProfile: 'aperture/runner.json' }, 'NOFILE:FileNotFoundError'],
  ] as const)("keeps the job's hidden parts from the student's program (%s)", async (_, mode, jobFile) => {
    const executor = await createExecutor(admin, namespace.name, instance, { ...placement('real'), ...mode });
    try {
      // Everything a program running as the harness's uid could try: the job file, every
      // process's environment (the key), its memory maps.
      const program = [
        'import os, glob',
        'try:',
        '    print("FILE:" + open("/var/run/aperture/job").read()[:40])',
        'except Exception as e:',
        '    print("NOFILE:" + type(e).__name__)',
        'for p in glob.glob("/proc/[0-9]*"):',
        '    for what in ("environ", "maps"):',
        '        try:',
        '            data = open(p + "/" + what, "rb").read()',
        '            print("READ", p, what, len(data), b"APERTURE_JOB_KEY" in data)',
        '        except Exception as e:',
        '            print("DENIED", p, what, type(e).__name__)',
        'print("ENV", "APERTURE_JOB_KEY" in os.environ)',
      ].join('\n');
      const run = runOf({
        language: 'python',
        files: [file('main.py', program)],
        tests: [test('hidden', '', 'THE-HIDDEN-ANSWER-42\n', { visibility: 'hidden' })],
      });
      const outcome = await executor.execute(requestFor(run));
      expect(outcome.kind).toBe('result');
      const stdout = outcome.kind === 'result' ? (outcome.result.tests[0]?.stdout ?? '') : '';
      expect(stdout).toContain(jobFile);
      expect(stdout).toContain('ENV False');
      expect(stdout).not.toContain('THE-HIDDEN-ANSWER-42');
      expect(stdout).not.toMatch(/READ \S+ environ \d+ True/);
      expect(stdout).toMatch(/DENIED \/proc\/1 environ/);
    } finally {
      await executor.close();
    }
  });
});

describe('on kwok and the control plane (Tier A)', () => {
  let executor: KubernetesRunExecutor;
  beforeAll(async () => {
    executor = await createExecutor(admin, namespace.name, `${instance}-a`, placement('nowhere'));
  });
  afterAll(async () => executor?.close());
  const mine = () => leftovers(admin, namespace.name, `${instance}-a`);

  /** Start a run whose pod stays Pending (no node matches) and wait until the pod exists. */
  async function pendingRun() {
    const controller = new AbortController();
    const run = runOf({ language: 'python', files: [file('main.py', 'print("hidden")')] });
    const request = requestFor(run, controller.signal);
    const outcome = executor.execute(request);
    const pod = await eventually('the run pod', async () => (await podsOf(run.id))[0]);
    return { run, request, outcome, pod, controller };
  }

  it('reports healthy, with the server version and every permission', async () => {
    const health = await executor.health();
    expect(health).toMatchObject({ ok: true, backend: 'kubernetes' });
    expect(health.details['server']).toMatch(/^v1\.34\./);
    expect(health.details['missingPermissions']).toBeUndefined();
    expect(health.details['isolation']).toMatchObject({ mode: 'plain', perExecutionCgroups: false });
  });

  it('creates a pod that PodSecurity `restricted` admits, with its sealed job in a Secret the Job owns', async () => {
    const { request, outcome, pod, controller } = await pendingRun();
    const jobName = pod.metadata?.labels?.['batch.kubernetes.io/job-name'] ?? '';
    const job = await batch.readNamespacedJob({ name: jobName, namespace: namespace.name });
    const secret = await core.readNamespacedSecret({ name: jobName, namespace: namespace.name });
    expect(secret.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Job', uid: job.metadata?.uid });
    const stored = Buffer.from(secret.data?.['job'] ?? '', 'base64').toString('utf8');
    expect(stored).toMatch(/^aperture-sealed-v1\./);
    expect(stored).not.toContain(request.job.nonce);
    expect(pod.spec?.automountServiceAccountToken).toBe(false);
    expect(pod.spec?.containers[0]?.securityContext?.readOnlyRootFilesystem).toBe(true);

    controller.abort();
    expect((await outcome).kind).toBe('cancelled');
    expect(await mine()).toEqual([]);
    // The garbage collector removes the Secret with its Job.
    await eventually('the Secret to be collected', async () =>
      (
        await core.listNamespacedSecret({
          namespace: namespace.name,
          labelSelector: instanceSelector(`${instance}-a`),
        })
      ).items.length === 0
        ? true
        : undefined,
    );
  });

  it('isolated runs: PodSecurity `restricted` admits the pod with its Localhost profile', async () => {
    const isolated = await createExecutor(admin, namespace.name, `${instance}-a`, {
      ...placement('nowhere'),
      runSeccompProfile: 'aperture/runner.json',
    });
    try {
      expect((await isolated.health()).details['isolation']).toMatchObject({
        mode: 'isolated',
        seccompProfile: 'aperture/runner.json',
      });
      const controller = new AbortController();
      const run = runOf({ language: 'python', files: [file('main.py', 'print(1)')] });
      const outcome = isolated.execute(requestFor(run, controller.signal));
      const pod = await eventually('the isolated run pod', async () => (await podsOf(run.id))[0]);
      const localhost = { type: 'Localhost', localhostProfile: 'aperture/runner.json' };
      expect(pod.spec?.securityContext?.seccompProfile).toEqual(localhost);
      expect(pod.spec?.containers[0]?.securityContext?.seccompProfile).toEqual(localhost);
      expect(pod.spec?.containers[0]?.env).toContainEqual({ name: 'APERTURE_ISOLATE', value: 'userns' });
      controller.abort();
      expect((await outcome).kind).toBe('cancelled');
      expect(await mine()).toEqual([]);
    } finally {
      await isolated.close();
    }
  });

  it('calls an evicted pod an infrastructure failure, retryable', async () => {
    const { outcome, pod } = await pendingRun();
    await evict(pod, 'The node was low on resource: memory.');
    const result = await outcome;
    expect(result).toMatchObject({ kind: 'infrastructure', retryable: true });
    expect(result.kind === 'infrastructure' && result.reason).toContain('Evicted');
    expect(await mine()).toEqual([]);
  });

  it('calls a pod removed under the run (node lost) an infrastructure failure', async () => {
    const { outcome, pod } = await pendingRun();
    await core.deleteNamespacedPod({
      name: pod.metadata!.name!,
      namespace: namespace.name,
      gracePeriodSeconds: 0,
    });
    const result = await outcome;
    expect(result).toMatchObject({ kind: 'infrastructure', retryable: true });
    expect(await mine()).toEqual([]);
  });

  it('after a restart, sweeps Jobs no live run owns and keeps the live ones', async () => {
    const live = await pendingRun();
    const orphan = await pendingRun();
    // A second executor of the same installation, as after a restart.
    const restarted = await createExecutor(admin, namespace.name, `${instance}-a`, placement('nowhere'));
    try {
      expect((await restarted.sweep(new Set([live.run.id]))).removed).toBe(1);
      expect((await orphan.outcome).kind).toBe('infrastructure');
      expect((await podsOf(live.run.id)).length).toBe(1);
      live.controller.abort();
      expect((await live.outcome).kind).toBe('cancelled');
      expect(await mine()).toEqual([]);
    } finally {
      await restarted.close();
    }
  });

  it('the periodic sweeper removes what is past its deadline and followed by no one', async () => {
    const stray = await pendingRun();
    const other = await createExecutor(admin, namespace.name, `${instance}-a`, placement('nowhere'));
    try {
      const later = () => Date.now() + 3_600_000;
      const [name] = await eventually('the Job in the other executor’s cache', async () => {
        const expired = other.expiredJobs(later());
        return expired.length > 0 ? expired : undefined;
      });
      expect(name).toMatch(/^run-/);
      // Not past its deadline yet: nothing to remove; an hour later it is, and it goes.
      expect(other.expiredJobs(Date.now())).toEqual([]);
      expect(await other.sweepExpired(later())).toBe(1);
      expect((await stray.outcome).kind).toBe('infrastructure');
      expect(await executor.sweepExpired(Date.now() + 3_600_000)).toBe(0); // its own runs are followed
    } finally {
      await other.close();
    }
  });

  it('fails a run at once, naming the namespace, when the runs namespace does not exist', async () => {
    const lost = await createExecutor(admin, 'no-such-namespace', `${instance}-a`, placement('nowhere'));
    try {
      const outcome = await lost.execute(
        requestFor(runOf({ language: 'python', files: [file('main.py', '1')] })),
      );
      expect(outcome).toMatchObject({ kind: 'infrastructure', retryable: false });
      expect(outcome.kind === 'infrastructure' && outcome.reason).toContain(
        'the runs namespace no-such-namespace does not exist',
      );
    } finally {
      await lost.close();
    }
  });

  it('restarts its watches after they break, and a run in flight still gets its ending', async () => {
    const target = new URL(admin.getCurrentCluster()!.server);
    const proxy = await CuttableProxy.start(target.hostname, Number(target.port));
    const viaProxy = new KubeConfig();
    viaProxy.loadFromString(admin.exportConfig());
    const cluster = viaProxy.getCurrentCluster()!;
    viaProxy.clusters = viaProxy.clusters.map((c) =>
      c.name === cluster.name ? { ...c, server: `https://127.0.0.1:${proxy.port}` } : c,
    );
    const flaky = await createExecutor(viaProxy, namespace.name, `${instance}-a`, placement('nowhere'));
    try {
      const run = runOf({ language: 'python', files: [file('main.py', 'print(1)')] });
      const outcome = flaky.execute(requestFor(run));
      const pod = await eventually('the run pod', async () => (await podsOf(run.id))[0]);
      // The Job's pod can exist before the executor's own create of the run's Secret was answered;
      // a cut then fails that create instead. Cut once the Secret exists and its answer had time to arrive.
      await eventually('the run secret', async () =>
        (await secretsOf(run.id)).length > 0 ? true : undefined,
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      proxy.cut();
      // While the watches are down, the cluster evicts the pod.
      await evict(pod, 'evicted while the watch was down');
      await eventually('the watch failure to be noticed', async () => {
        // watchStatus() asks no API server (which the cut proxy would make fail).
        return flaky.watchStatus().pods.failures > 0 ? true : undefined;
      });
      proxy.restore();
      const result = await outcome;
      expect(result).toMatchObject({ kind: 'infrastructure', retryable: true });
      expect(result.kind === 'infrastructure' && result.reason).toContain('evicted while the watch was down');
      await eventually('the watches to be healthy again', async () =>
        (await flaky.health()).ok ? true : undefined,
      );
    } finally {
      await flaky.close();
      await proxy.close();
    }
  });

  it('runs on kwok: the Job completes; a fake node has no log, so no result and a retry', async () => {
    const kwok = await createExecutor(admin, namespace.name, `${instance}-kwok`, placement('kwok'));
    try {
      const outcome = await kwok.execute(
        requestFor(runOf({ language: 'python', files: [file('main.py', 'print(1)')] })),
      );
      expect(outcome).toMatchObject({ kind: 'infrastructure', retryable: true });
      const requests = kwok.requests.snapshot();
      expect(requests).toMatchObject({
        'create jobs': 1,
        'create secrets': 1,
        'delete jobs': 1,
        'get pods/log': 1,
      });
    } finally {
      await kwok.close();
    }
  });
});
