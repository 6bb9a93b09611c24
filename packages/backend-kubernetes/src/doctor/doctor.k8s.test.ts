/**
 * `runDoctor` against the test cluster (v1.34, kwok nodes of two architectures, no CNI that
 * enforces NetworkPolicy), once as the administrator and once as Aperture's own ServiceAccount.
 */
import { randomBytes } from 'node:crypto';
import {
  BatchV1Api,
  CoreV1Api,
  type KubernetesObject,
  SchedulingV1Api,
  type V1PriorityClass,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_PERMISSIONS } from '../permissions.ts';
import { adminKubeConfig, eventually, hasRealNode } from '../testing/cluster.ts';
import { applyRbac, loadRbacManifests, type RbacFixture } from '../testing/rbac-fixture.ts';
import { runDoctor } from './doctor.ts';
import type { PriorityClassNames } from './facts.ts';
import type { CheckId, DoctorReport } from './report.ts';

const admin = adminKubeConfig();
const suffix = randomBytes(3).toString('hex');
let rbac: RbacFixture;

// PriorityClasses are cluster-wide and other suites share the real names, so "missing, then
// installed" is shown with names of this run's own.
const priorityClassNames: PriorityClassNames = {
  platform: `aperture-platform-${suffix}`,
  labs: `aperture-labs-${suffix}`,
  runs: `aperture-runs-${suffix}`,
};

beforeAll(async () => {
  rbac = await applyRbac(admin, suffix);
  // The PodSecurity dry run admits its control pod only once the namespace has a default ServiceAccount.
  const core = admin.makeApiClient(CoreV1Api);
  await eventually('the default ServiceAccount', () =>
    core
      .readNamespacedServiceAccount({ name: 'default', namespace: rbac.runsNamespace })
      .catch(() => undefined),
  );
});

afterAll(async () => {
  const scheduling = admin.makeApiClient(SchedulingV1Api);
  await Promise.all(
    Object.values(priorityClassNames).map((name) =>
      scheduling.deletePriorityClass({ name }).catch(() => undefined),
    ),
  );
  await rbac?.cleanup();
});

const line = (report: DoctorReport, id: CheckId) => {
  const found = report.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no ${id} line`);
  return found;
};

describe('runDoctor on the test cluster, as the administrator', () => {
  let report: DoctorReport;
  beforeAll(async () => {
    report = await runDoctor({ kubeConfig: admin, namespace: rbac.runsNamespace, priorityClassNames });
  });

  it('the API server answers with v1.34', () => {
    expect(line(report, 'api')).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/^Kubernetes v1\.34\./),
    });
    expect(report.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('the runs namespace from deploy/rbac/: restricted, permissions, default-deny', () => {
    expect(line(report, 'namespace').status).toBe('pass');
    expect(line(report, 'rbac-runs').status).toBe('pass');
    expect(line(report, 'rbac-doctor').status).toBe('pass');
    expect(line(report, 'rbac-labs').status).toBe('pass');
    expect(line(report, 'network-policy-default-deny')).toMatchObject({
      status: 'pass',
      detail: `default-deny denies all ingress and egress in ${rbac.runsNamespace}; also: allow-internet-egress`,
    });
  });

  it('PodSecurity admission refuses a privileged pod (server-side dry run)', () => {
    expect(line(report, 'pod-security')).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining('violates PodSecurity "restricted:latest"'),
    });
  });

  it('NetworkPolicy enforcement: no CNI it knows, so a warning saying how to verify', () => {
    expect(line(report, 'network-policy-enforcement')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^cannot tell which CNI/),
    });
  });

  it('kwok nodes of both architectures, Ready', () => {
    const nodes = line(report, 'nodes');
    expect(nodes.status).toBe('pass');
    expect(nodes.detail).toMatch(/amd64 \d+ Ready/);
    expect(nodes.detail).toMatch(/arm64 \d+ Ready/);
  });

  it('no VolumeSnapshot CRD: a warning about lab checkpoints', () => {
    // labs/volume-snapshots.k8s.test.ts installs stand-in snapshot CRDs for a while; if it ran at
    // the same moment, the check answers for them (pass, or warn for a class not yet there).
    const snapshots = line(report, 'volume-snapshots');
    if (!/VolumeSnapshotClass|pass/.test(`${snapshots.detail} ${snapshots.status}`))
      expect(snapshots).toMatchObject({
        status: 'warn',
        detail: 'no VolumeSnapshot support: lab checkpoints will not include volume data',
      });
    // Whatever other suites may have installed, these two only ever pass or warn here.
    expect(['pass', 'warn']).toContain(line(report, 'runtime-classes').status);
    expect(['pass', 'warn']).toContain(line(report, 'storage-classes').status);
  });

  it('PriorityClasses: fail while missing, pass once priorityclasses.yaml is applied', async () => {
    expect(line(report, 'priority-classes')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^missing: /),
    });
    const scheduling = admin.makeApiClient(SchedulingV1Api);
    const manifests = loadRbacManifests().find((m) => m.file === 'priorityclasses.yaml')?.objects ?? [];
    const ours: Record<string, string> = {
      'aperture-platform': priorityClassNames.platform,
      'aperture-labs': priorityClassNames.labs,
      'aperture-runs': priorityClassNames.runs,
    };
    for (const pc of manifests as Array<KubernetesObject & V1PriorityClass>)
      await scheduling.createPriorityClass({
        body: { ...pc, metadata: { name: ours[pc.metadata?.name ?? ''] ?? '' } },
      });
    const after = await runDoctor({ kubeConfig: admin, namespace: rbac.runsNamespace, priorityClassNames });
    expect(line(after, 'priority-classes')).toMatchObject({
      status: 'pass',
      detail: `${priorityClassNames.platform} 100000 > ${priorityClassNames.labs} 10000 > ${priorityClassNames.runs} 1000`,
    });
  });

  it('run isolation: not configured is a warning; a Localhost profile is admitted by `restricted`', async () => {
    expect(line(report, 'run-isolation')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^not configured/),
    });
    const configured = await runDoctor({
      kubeConfig: admin,
      namespace: rbac.runsNamespace,
      priorityClassNames,
      runSeccompProfile: 'aperture/runner.json',
    });
    expect(line(configured, 'run-isolation')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('aperture/runner.json, admitted (dry run); not tried on a node'),
      hint: expect.stringContaining('--probe-isolation'),
    });
  });

  it('the summary counts the lines', () => {
    const { pass, warn, fail } = report.summary;
    expect(pass + warn + fail).toBe(report.checks.length);
    expect(report.checks).toHaveLength(14);
  });
});

/** The probe's placement on the test cluster's real node (its taint, its images preloaded). */
const REAL_NODE = {
  imagePrefix: 'localhost/',
  nodeSelector: { 'aperture.dev/node-kind': 'real' },
  tolerations: [{ key: 'aperture.dev/real-node', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
  architectures: [],
  timeoutMs: 120_000,
};

describe.runIf(hasRealNode())('the isolation probe on the real node, as the ServiceAccount', () => {
  const probeJobs = async () =>
    (
      await admin.makeApiClient(BatchV1Api).listNamespacedJob({
        namespace: rbac.runsNamespace,
        labelSelector: 'app.kubernetes.io/component=doctor',
      })
    ).items;

  it('passes with the profile test/cluster/real-node.sh installed, and leaves nothing behind', async () => {
    const report = await runDoctor({
      kubeConfig: await rbac.tokenKubeConfig(),
      namespace: rbac.runsNamespace,
      runSeccompProfile: 'aperture/runner.json',
      isolationProbe: REAL_NODE,
    });
    expect(line(report, 'run-isolation')).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(
        /^Localhost profile aperture\/runner\.json: a probe pod on aperture-real-node ran runlimit --isolate --userns/,
      ),
    });
    // The ServiceAccount may not create pods: no dry run, but the probe needs only run permissions.
    expect(line(report, 'run-isolation').detail).toContain('admission not tested');
    expect(await probeJobs()).toEqual([]);
    const core = admin.makeApiClient(CoreV1Api);
    await eventually('the probe pod to be collected', async () =>
      (
        await core.listNamespacedPod({
          namespace: rbac.runsNamespace,
          labelSelector: 'app.kubernetes.io/component=doctor',
        })
      ).items.length === 0
        ? true
        : undefined,
    );
  });

  it('a profile the node does not have: fails, naming the node and where to install it', async () => {
    const report = await runDoctor({
      kubeConfig: admin,
      namespace: rbac.runsNamespace,
      runSeccompProfile: 'aperture/not-installed.json',
      isolationProbe: REAL_NODE,
    });
    expect(line(report, 'run-isolation')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/failed on aperture-real-node: CreateContainerError: .*seccomp/),
      hint: expect.stringContaining('missing on aperture-real-node'),
    });
    expect(await probeJobs()).toEqual([]);
  });
});

describe('runDoctor as the ServiceAccount deploy/rbac/ creates (least privilege)', () => {
  let report: DoctorReport;
  beforeAll(async () => {
    report = await runDoctor({ kubeConfig: await rbac.tokenKubeConfig(), namespace: rbac.runsNamespace });
  });

  it('has every permission it checks, and says what it could not look at', () => {
    expect(line(report, 'namespace').status).toBe('pass');
    expect(line(report, 'rbac-runs').status).toBe('pass');
    expect(line(report, 'rbac-doctor').status).toBe('pass');
    // The fixture leaves the labs ClusterRole out: runs work, labs would not, and doctor says so.
    expect(line(report, 'rbac-labs')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(
        /^labs will not work \(runs do\): missing cluster-wide create namespaces/,
      ),
      hint: expect.stringContaining('clusterrole-labs.yaml'),
    });
    expect(line(report, 'network-policy-default-deny').status).toBe('pass');
    expect(line(report, 'nodes').status).toBe('pass');
    // It may not create pods, so the PodSecurity dry run is not even tried ...
    expect(line(report, 'pod-security')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^not tested/),
    });
    // ... and it may not read kube-system, so the CNI is judged from the nodes alone.
    expect(line(report, 'network-policy-enforcement').detail).toContain('the nodes only');
  });

  it('a permission taken away shows up as a failing line naming it', async () => {
    const getLogs = RUN_PERMISSIONS.find((p) => p.subresource === 'log')!;
    await rbac.removeRule(getLogs);
    const after = await runDoctor({
      kubeConfig: await rbac.tokenKubeConfig(),
      namespace: rbac.runsNamespace,
    });
    expect(line(after, 'rbac-runs')).toMatchObject({
      status: 'fail',
      detail: `missing in ${rbac.runsNamespace}: get pods/log (the harness's framed result)`,
      hint: expect.stringContaining('kubectl apply -f deploy/rbac/'),
    });
  });
});
