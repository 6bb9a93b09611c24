import type {
  V1NetworkPolicy,
  V1Node,
  V1PriorityClass,
  V1StorageClass,
  VersionInfo,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { LAB_PERMISSIONS } from '../labs/lab-permissions.ts';
import { DOCTOR_PERMISSIONS, RUN_PERMISSIONS } from '../permissions.ts';
import { evaluate, evaluateApi } from './evaluate.ts';
import {
  evaluateNetworkPolicyEnforcement,
  evaluateNodes,
  evaluatePriorityClasses,
  evaluateRuntimeClasses,
  evaluateStorageClasses,
  evaluateVolumeSnapshots,
} from './evaluate-cluster.ts';
import { evaluateRunIsolation } from './evaluate-isolation.ts';
import { evaluateLabAccess } from './evaluate-labs.ts';
import {
  deniesAll,
  evaluateDefaultDeny,
  evaluateDoctorAccess,
  evaluateNamespace,
  evaluatePodSecurity,
  evaluateRunAccess,
} from './evaluate-namespace.ts';
import {
  type ClusterFacts,
  DEFAULT_PRIORITY_CLASSES,
  type ReachableFacts,
  type RunIsolationFacts,
} from './facts.ts';
import type { FailureReason, Probe } from './failures.ts';
import { CHECKS, summarize } from './report.ts';

const NS = 'aperture-runs';
const ok = <T>(value: T): Probe<T> => ({ ok: true, value });
const failed = (reason: FailureReason, message = `${reason}!`): Probe<never> => ({
  ok: false,
  failure: { reason, message, ...(reason === 'forbidden' ? { status: 403 } : {}) },
});

const version = (minor: string, gitVersion = `v1.${minor}.0`): VersionInfo =>
  ({ major: '1', minor, gitVersion }) as VersionInfo;

const readyNode = (arch: string, ready = true): V1Node => ({
  metadata: { name: `${arch}-${Math.random()}`, labels: { 'kubernetes.io/arch': arch } },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

const priorityClass = (name: string, value: number): V1PriorityClass => ({ metadata: { name }, value });

const DENY: V1NetworkPolicy = {
  metadata: { name: 'default-deny' },
  spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
};

const admitted = { admitted: true as const };
const refused = (message: string) => ({ admitted: false as const, status: 403, message });

/** A cluster where everything is as deploy/rbac/ and a good CNI leave it. */
function healthy(): ReachableFacts {
  return {
    runsNamespace: ok({
      metadata: { name: NS, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    }),
    runAccess: ok(RUN_PERMISSIONS.map((permission) => ({ permission, allowed: true }))),
    doctorAccess: ok(DOCTOR_PERMISSIONS.map((permission) => ({ permission, allowed: true }))),
    labAccess: ok(LAB_PERMISSIONS.map((permission) => ({ permission, allowed: true }))),
    cniPods: ok([
      { spec: { containers: [{ name: 'calico-node', image: 'docker.io/calico/node:v3.27.0' }] } },
    ]),
    nodes: ok([readyNode('amd64'), readyNode('arm64')]),
    networkPolicies: ok([DENY]),
    podSecurity: ok({
      tried: true,
      privileged: refused(
        'pods "aperture-doctor-privileged-x1" is forbidden: violates PodSecurity "restricted:latest": privileged',
      ),
      root: refused('violates PodSecurity "restricted:latest": runAsNonRoot != true'),
      compliant: admitted,
    }),
    runtimeClasses: ok([{ metadata: { name: 'gvisor' }, handler: 'runsc' }]),
    storageClasses: ok([
      {
        metadata: {
          name: 'standard',
          annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
        },
        provisioner: 'rancher.io/local-path',
      },
    ]),
    snapshotClasses: ok([{ metadata: { name: 'csi-snap' }, driver: 'hostpath.csi.k8s.io' }]),
    priorityClasses: ok([
      priorityClass('aperture-platform', 100000),
      priorityClass('aperture-labs', 10000),
      priorityClass('aperture-runs', 1000),
      priorityClass('system-cluster-critical', 2000000000),
    ]),
    runIsolation: ok({
      profile: 'aperture/runner.json',
      admission: { tried: true, result: admitted },
      probe: { ok: true, node: 'runner-1', seconds: 4.2 },
    }),
  };
}

function facts(cluster: Partial<ReachableFacts> = {}): ClusterFacts {
  return {
    server: 'https://10.0.0.1:6443',
    context: 'test',
    namespace: NS,
    priorityClassNames: DEFAULT_PRIORITY_CLASSES,
    version: ok(version('34', 'v1.34.10')),
    cluster: { ...healthy(), ...cluster },
  };
}

describe('evaluate', () => {
  it('a healthy cluster passes every check, in report order, each with a detail', () => {
    const checks = evaluate(facts());
    expect(checks.map((c) => c.id)).toEqual(Object.keys(CHECKS));
    for (const c of checks) {
      expect(c.status, `${c.id}: ${c.detail}`).toBe('pass');
      expect(c.detail).toBeTruthy();
      expect(c.hint).toBeUndefined();
    }
    expect(summarize(checks)).toEqual({ pass: 14, warn: 0, fail: 0 });
  });

  it('an unreachable API server fails the first line with a hint, and every other line as not checked', () => {
    const { cluster: _, ...rest } = facts();
    const checks = evaluate({
      ...rest,
      version: failed('unreachable', 'connect ECONNREFUSED 10.0.0.1:6443'),
    });
    expect(checks[0]).toMatchObject({
      id: 'api',
      status: 'fail',
      detail: expect.stringContaining('ECONNREFUSED'),
    });
    expect(checks[0]?.hint).toMatch(/6443/);
    expect(checks.slice(1).every((c) => c.status === 'fail' && c.detail.startsWith('not checked'))).toBe(
      true,
    );
    expect(checks).toHaveLength(Object.keys(CHECKS).length);
  });

  it('a missing runs namespace: the lines about its contents say they were not checked', () => {
    const checks = evaluate(facts({ runsNamespace: failed('not-found'), podSecurity: ok({ tried: false }) }));
    const byId = Object.fromEntries(checks.map((c) => [c.id, c]));
    expect(byId.namespace?.status).toBe('fail');
    for (const id of ['network-policy-default-deny', 'pod-security', 'run-isolation'])
      expect(byId[id]).toMatchObject({
        status: 'fail',
        detail: `not checked: namespace ${NS} does not exist`,
      });
    expect(checks.map((c) => c.id)).toEqual(Object.keys(CHECKS));
  });

  it('every line that does not pass says how to fix it', () => {
    const bad = facts({
      runsNamespace: failed('not-found'),
      runAccess: ok(RUN_PERMISSIONS.map((permission) => ({ permission, allowed: false }))),
      doctorAccess: failed('forbidden'),
      labAccess: ok(LAB_PERMISSIONS.map((permission) => ({ permission, allowed: false }))),
      cniPods: failed('forbidden'),
      nodes: failed('forbidden'),
      networkPolicies: ok([]),
      podSecurity: ok({ tried: false }),
      runtimeClasses: ok([]),
      storageClasses: ok([]),
      snapshotClasses: failed('not-found'),
      priorityClasses: ok([]),
      runIsolation: ok({ admission: { tried: false } }),
    });
    for (const c of evaluate(bad).filter((c) => c.status !== 'pass')) expect(c.hint, c.id).toBeTruthy();
  });
});

describe('API server', () => {
  it('passes with the version and the address', () => {
    expect(evaluateApi(ok(version('34', 'v1.34.10')), 'https://k:6443')).toMatchObject({
      status: 'pass',
      detail: 'Kubernetes v1.34.10 at https://k:6443',
    });
  });
  it('warns below 1.25 (no built-in PodSecurity admission); copes with a "+" minor', () => {
    expect(evaluateApi(ok(version('24')), 's').status).toBe('warn');
    expect(evaluateApi(ok(version('30+', 'v1.30.2-gke.1')), 's').status).toBe('pass');
  });
  it.each([
    ['unreachable', /6443/],
    ['timeout', /firewall/],
    ['tls', /certificate-authority/],
    ['unauthorized', /create token/],
  ] as const)('%s: a hint about the cause', (reason, hint) => {
    expect(evaluateApi(failed(reason), 's').hint).toMatch(hint);
  });
});

describe('runs namespace', () => {
  const ns = (labels: Record<string, string>, phase?: string) =>
    ok({ metadata: { name: NS, labels }, ...(phase ? { status: { phase } } : {}) });
  const enforce = 'pod-security.kubernetes.io/enforce';

  it('restricted passes; baseline warns; no label fails; missing or terminating fails', () => {
    expect(evaluateNamespace(ns({ [enforce]: 'restricted' }), NS).status).toBe('pass');
    expect(evaluateNamespace(ns({ [enforce]: 'baseline' }), NS)).toMatchObject({
      status: 'warn',
      hint: expect.stringContaining(`${enforce}=restricted`),
    });
    expect(evaluateNamespace(ns({}), NS).status).toBe('fail');
    expect(evaluateNamespace(failed('not-found'), NS)).toMatchObject({
      status: 'fail',
      hint: expect.stringContaining('kubectl apply -f deploy/rbac/'),
    });
    expect(evaluateNamespace(ns({ [enforce]: 'restricted' }, 'Terminating'), NS).status).toBe('fail');
  });

  it('forbidden: a warning naming the permission that would let doctor look', () => {
    expect(evaluateNamespace(failed('forbidden'), NS)).toMatchObject({
      status: 'warn',
      detail: 'not checked: these credentials may not get namespaces',
      hint: expect.stringContaining('clusterrole-doctor.yaml'),
    });
  });
});

describe('RBAC', () => {
  it('run permissions: fails naming each missing one with why, and points at deploy/rbac/', () => {
    const results = RUN_PERMISSIONS.map((permission) => ({
      permission,
      allowed: !(permission.verb === 'create' || permission.subresource === 'log'),
    }));
    const line = evaluateRunAccess(ok(results), NS);
    expect(line.status).toBe('fail');
    expect(line.detail).toBe(
      `missing in ${NS}: create jobs.batch (one Job per run); create secrets (the run's job file, owned by its Job); ` +
        `get pods/log (the harness's framed result)`,
    );
    expect(line.hint).toContain('kubectl apply -f deploy/rbac/');
  });

  it('run permissions: all allowed passes with the list, grouped by resource', () => {
    const results = RUN_PERMISSIONS.map((permission) => ({ permission, allowed: true }));
    expect(evaluateRunAccess(ok(results), NS).detail).toBe(
      `all 8 allowed in ${NS}: create, delete, list, watch jobs.batch; create secrets; list, watch pods; get pods/log`,
    );
  });

  it('doctor permissions only warn', () => {
    const results = DOCTOR_PERMISSIONS.map((permission) => ({
      permission,
      allowed: permission.resource !== 'nodes',
    }));
    expect(evaluateDoctorAccess(ok(results), NS)).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('list nodes'),
    });
  });
});

describe('lab permissions', () => {
  it('all allowed passes, grouped by resource; one missing warns naming it and the ClusterRole', () => {
    const all = LAB_PERMISSIONS.map((permission) => ({ permission, allowed: true }));
    expect(evaluateLabAccess(ok(all))).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(
        new RegExp(`^all ${LAB_PERMISSIONS.length} allowed cluster-wide: .*get, create pods/exec`),
      ),
    });
    const noExec = LAB_PERMISSIONS.map((permission) => ({
      permission,
      allowed: !(permission.subresource === 'exec' && permission.verb === 'create'),
    }));
    expect(evaluateLabAccess(ok(noExec))).toMatchObject({
      status: 'warn',
      detail:
        'labs will not work (runs do): missing cluster-wide create pods/exec (browser terminal and lab checks (exec over WebSocket))',
      hint: expect.stringContaining('deploy/rbac/clusterrole-labs.yaml'),
    });
  });
});

describe('NetworkPolicy', () => {
  const pods = (image: string) => ok([{ spec: { containers: [{ name: 'c', image }] } }]);

  it('an enforcing CNI passes; Flannel alone fails; Canal passes', () => {
    expect(evaluateNetworkPolicyEnforcement(pods('quay.io/cilium/cilium:v1.15'), ok([])).detail).toBe(
      'Cilium enforces NetworkPolicy',
    );
    const flannel = evaluateNetworkPolicyEnforcement(pods('flannel/flannel:v0.25'), ok([]));
    expect(flannel.status).toBe('fail');
    expect(flannel.detail).toContain('per-student lab networks are not isolated');
    const canal = ok([
      {
        spec: {
          containers: [
            { name: 'a', image: 'calico/node:v3' },
            { name: 'b', image: 'flannel/flannel:v0.25' },
          ],
        },
      },
    ]);
    expect(evaluateNetworkPolicyEnforcement(canal, ok([])).detail).toMatch(/^Canal/);
  });

  it('an unknown CNI warns, says where it looked and how to verify', () => {
    const line = evaluateNetworkPolicyEnforcement(ok([]), ok([readyNode('amd64')]));
    expect(line.status).toBe('warn');
    expect(line.detail).toContain('kube-system');
    expect(line.hint).toContain('Verify NetworkPolicy enforcement');
    expect(line.detail).toContain('per-student lab networks are not isolated');
    expect(evaluateNetworkPolicyEnforcement(failed('forbidden'), ok([])).detail).toContain('the nodes only');
  });

  it('default-deny: both directions pass; one direction or none warns', () => {
    expect(evaluateDefaultDeny(ok([DENY]), NS).status).toBe('pass');
    const ingressOnly: V1NetworkPolicy = { metadata: { name: 'deny-in' }, spec: { podSelector: {} } };
    expect(evaluateDefaultDeny(ok([ingressOnly]), NS)).toMatchObject({
      status: 'warn',
      detail: `${NS} denies only ingress by default (deny-in)`,
    });
    expect(evaluateDefaultDeny(ok([]), NS)).toMatchObject({
      status: 'warn',
      hint: 'kubectl apply -f deploy/rbac/networkpolicy-runs.yaml',
    });
  });

  it('deniesAll: only an empty selector with no rules for that direction', () => {
    const allowSome: V1NetworkPolicy = {
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }],
      },
    };
    expect(deniesAll(allowSome, 'Egress')).toBe(false);
    const someLabel: V1NetworkPolicy = {
      spec: { podSelector: { matchLabels: { a: 'b' } }, policyTypes: ['Ingress', 'Egress'] },
    };
    expect(deniesAll(someLabel, 'Ingress')).toBe(false);
    expect(deniesAll(DENY, 'Ingress') && deniesAll(DENY, 'Egress')).toBe(true);
  });
});

describe('PodSecurity admission', () => {
  const dryRun = (privileged: boolean, root: boolean, compliant = true) =>
    ok({
      tried: true as const,
      privileged: privileged ? admitted : refused('violates PodSecurity "restricted:latest": privileged'),
      root: root ? admitted : refused('violates PodSecurity "restricted:latest": runAsNonRoot != true'),
      compliant: compliant ? admitted : refused('exceeded quota: budget'),
    });

  it('refused privileged and root pods pass; the server reason is shown without the pod name', () => {
    const line = evaluatePodSecurity(
      ok({
        tried: true,
        privileged: refused(
          'pods "aperture-doctor-privileged-abcde" is forbidden: violates PodSecurity "restricted:latest": privileged',
        ),
        root: refused('x'),
        compliant: admitted,
      }),
      NS,
    );
    expect(line).toMatchObject({
      status: 'pass',
      detail: 'a privileged pod is refused (dry run): violates PodSecurity "restricted:latest": privileged',
    });
  });

  it('an admitted privileged pod fails; an admitted root pod warns (baseline)', () => {
    expect(evaluatePodSecurity(dryRun(true, true), NS)).toMatchObject({
      status: 'fail',
      hint: expect.stringContaining('pod-security.kubernetes.io/enforce=restricted'),
    });
    expect(evaluatePodSecurity(dryRun(false, true), NS).status).toBe('warn');
  });

  it('a refused compliant pod makes it inconclusive, not a pass', () => {
    expect(evaluatePodSecurity(dryRun(false, false, false), NS)).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('exceeded quota'),
    });
  });

  it('without create pods, it says it did not test', () => {
    expect(evaluatePodSecurity(ok({ tried: false }), NS)).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^not tested/),
    });
  });
});

describe('RuntimeClasses, storage, snapshots', () => {
  it('no RuntimeClass: a warning recommending gVisor', () => {
    expect(evaluateRuntimeClasses(ok([]))).toMatchObject({
      status: 'warn',
      detail: 'none: runs use the default runtime (runc); gVisor is recommended for untrusted code',
    });
    expect(evaluateRuntimeClasses(ok([{ metadata: { name: 'gvisor' }, handler: 'runsc' }])).detail).toBe(
      'gvisor (handler runsc)',
    );
  });

  it('StorageClasses: the default one marked; none or no default warns', () => {
    const sc = (name: string, isDefault: boolean): V1StorageClass => ({
      metadata: {
        name,
        annotations: isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {},
      },
      provisioner: 'ebs.csi.aws.com',
    });
    expect(evaluateStorageClasses(ok([sc('gp3', true), sc('io2', false)]))).toMatchObject({
      status: 'pass',
      detail: 'gp3 (default) [ebs.csi.aws.com], io2 [ebs.csi.aws.com]',
    });
    expect(evaluateStorageClasses(ok([sc('io2', false)])).status).toBe('warn');
    expect(evaluateStorageClasses(ok([sc('a', true), sc('b', true)])).status).toBe('warn');
    expect(evaluateStorageClasses(ok([])).status).toBe('warn');
  });

  it('no VolumeSnapshot CRD (404): lab checkpoints will not include volume data', () => {
    expect(evaluateVolumeSnapshots(failed('not-found'))).toMatchObject({
      status: 'warn',
      detail: 'no VolumeSnapshot support: lab checkpoints will not include volume data',
    });
    expect(evaluateVolumeSnapshots(ok([])).status).toBe('warn');
    expect(evaluateVolumeSnapshots(failed('forbidden')).detail).toBe(
      'not checked: these credentials may not list volumesnapshotclasses.snapshot.storage.k8s.io',
    );
  });
});

describe('nodes', () => {
  it('counts per architecture, Ready or not', () => {
    const line = evaluateNodes(ok([readyNode('amd64'), readyNode('arm64'), readyNode('arm64', false)]));
    expect(line).toMatchObject({
      status: 'pass',
      detail: '3 nodes: amd64 1 Ready, arm64 1 Ready + 1 not Ready',
    });
  });
  it('fails without a Ready node', () => {
    expect(evaluateNodes(ok([readyNode('amd64', false)])).status).toBe('fail');
    expect(evaluateNodes(ok([])).status).toBe('fail');
  });
});

describe('PriorityClasses', () => {
  const names = DEFAULT_PRIORITY_CLASSES;
  it('missing ones fail, naming them', () => {
    expect(evaluatePriorityClasses(ok([priorityClass('aperture-platform', 3)]), names)).toMatchObject({
      status: 'fail',
      detail: 'missing: aperture-labs, aperture-runs',
      hint: 'kubectl apply -f deploy/rbac/priorityclasses.yaml',
    });
  });
  it('must be ordered platform > labs > runs', () => {
    const wrong = [
      priorityClass('aperture-platform', 100),
      priorityClass('aperture-labs', 1000),
      priorityClass('aperture-runs', 10),
    ];
    expect(evaluatePriorityClasses(ok(wrong), names).status).toBe('fail');
    expect(evaluatePriorityClasses(healthy().priorityClasses as Probe<V1PriorityClass[]>, names).detail).toBe(
      'aperture-platform 100000 > aperture-labs 10000 > aperture-runs 1000',
    );
  });
});

describe('run isolation', () => {
  const profile = 'aperture/runner.json';
  const judge = (facts: RunIsolationFacts) => evaluateRunIsolation(ok(facts), NS);

  it('no profile: a warning that runs are in the plain mode, saying how to install one', () => {
    const line = judge({ admission: { tried: false } });
    expect(line).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^not configured/) });
    expect(line.hint).toContain('/var/lib/kubelet/seccomp/aperture/runner.json');
    expect(line.hint).toContain('--k8s-run-seccomp-profile aperture/runner.json');
  });

  it('configured but not probed: a warning naming the probe flag; a refused dry run fails', () => {
    const line = judge({ profile, admission: { tried: true, result: admitted } });
    expect(line).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('admitted (dry run); not tried on a node'),
    });
    expect(line.hint).toContain('--probe-isolation');
    expect(judge({ profile, admission: { tried: false } }).detail).toContain('admission not tested');
    expect(
      judge({ profile, admission: { tried: true, result: refused('localhostProfile is not allowed') } }),
    ).toMatchObject({ status: 'fail', detail: expect.stringContaining('is refused in aperture-runs') });
  });

  it('the probe ran: pass with the node', () => {
    expect(
      judge({ profile, admission: { tried: false }, probe: { ok: true, node: 'n1', seconds: 3 } }),
    ).toMatchObject({ status: 'pass', detail: expect.stringContaining('a probe pod on n1 ran runlimit') });
  });

  it.each([
    [
      'missing file on the node',
      {
        stage: 'started',
        node: 'n1',
        reason: 'CreateContainerError',
        message:
          'CreateContainerError: cannot load seccomp profile "/var/lib/kubelet/seccomp/aperture/runner.json"',
      },
      /missing on n1/,
    ],
    [
      'no image',
      { stage: 'started', reason: 'ErrImagePull', message: 'ErrImagePull: not found' },
      /--image-prefix/,
    ],
    ['no node', { stage: 'scheduled', message: 'no result after 180 s: not scheduled' }, /--node-selector/],
    ['no pod', { stage: 'created', message: 'no result after 180 s: no pod yet' }, /get events/],
    [
      'a profile that lacks the namespace syscalls',
      { stage: 'ran', node: 'n1', message: 'runlimit: fork failed: Operation not permitted' },
      /does not allow what runlimit needs/,
    ],
    [
      'an image from before --userns',
      { stage: 'ran', message: 'no runlimit report in the probe’s output: usage: runlimit --cpu-ms N' },
      /rebuild/,
    ],
  ] as const)('the probe failed (%s): fail, with the hint for that cause', (_, failure, hint) => {
    const line = judge({
      profile,
      admission: { tried: true, result: admitted },
      probe: { ok: false, ...failure },
    });
    expect(line.status).toBe('fail');
    expect(line.detail).toContain(failure.message);
    expect(line.hint).toMatch(hint);
  });

  it('the probe was refused (403): not checked, with the server’s message and what the probe needs', () => {
    const message = 'jobs.batch is forbidden: User "x" cannot create resource "jobs"';
    expect(evaluateRunIsolation(failed('forbidden', message), NS)).toMatchObject({
      status: 'warn',
      detail: `not checked: ${message}`,
      hint: expect.stringContaining('create and delete jobs, list pods, get pods/log'),
    });
  });
});
