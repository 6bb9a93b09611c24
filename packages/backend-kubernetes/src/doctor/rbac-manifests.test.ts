/**
 * deploy/rbac/ grants exactly what permissions.ts lists: least privilege is a test, not a promise.
 * When the backend starts using another API call, permissions.ts and role-runs.yaml change together.
 */
import type {
  KubernetesObject,
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1Namespace,
  V1NetworkPolicy,
  V1PolicyRule,
  V1PriorityClass,
  V1Role,
  V1RoleBinding,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { LABEL_NETWORK } from '../labels.ts';
import { LAB_PERMISSIONS } from '../labs/lab-permissions.ts';
import { DOCTOR_PERMISSIONS, describePermission, type Permission, RUN_PERMISSIONS } from '../permissions.ts';
import {
  grantedPermissions,
  loadRbacManifests,
  RBAC_NAMES,
  renamed,
  withoutPermission,
} from '../testing/rbac-fixture.ts';
import { DEFAULT_PRIORITY_CLASSES } from './facts.ts';

const files = loadRbacManifests();
const objects = files.flatMap((f) => f.objects);

function one<T extends KubernetesObject>(kind: string, name?: string): T {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0] as T;
}

const names = (permissions: readonly Permission[]) => permissions.map(describePermission).sort();
const namespaced = DOCTOR_PERMISSIONS.filter((p) => p.scope === 'namespace');
const clusterWide = DOCTOR_PERMISSIONS.filter((p) => p.scope === 'cluster');

function expectNoWildcards(rules: readonly V1PolicyRule[]) {
  for (const rule of rules) {
    for (const value of [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs])
      expect(value).not.toContain('*');
    expect(rule.nonResourceURLs ?? []).toEqual([]);
    expect(rule.resourceNames ?? []).toEqual([]);
  }
}

describe('deploy/rbac/', () => {
  it('is plain YAML that kubectl applies in an order that works (namespaces before what lives in them)', () => {
    expect(files.map((f) => f.file)).toEqual([
      'admissionpolicy-labs.yaml',
      'clusterrole-doctor.yaml',
      'clusterrole-labs.yaml',
      'namespace.yaml',
      'networkpolicy-runs.yaml',
      'priorityclasses.yaml',
      'role-runs.yaml',
      'serviceaccount.yaml',
    ]);
    const created = new Set<string>();
    for (const o of objects) {
      const ns = o.metadata?.namespace;
      // The ServiceAccount's namespace is created in the same file, just before it.
      if (ns && o.kind !== 'RoleBinding') expect(created, `${o.kind} ${o.metadata?.name}`).toContain(ns);
      if (o.kind === 'Namespace') created.add(o.metadata?.name ?? '');
    }
    for (const o of objects) expect(o.metadata?.labels?.['app.kubernetes.io/part-of']).toBe('aperture');
  });

  it('the runs namespace enforces, audits and warns PodSecurity "restricted"', () => {
    const labels = one<V1Namespace>('Namespace', RBAC_NAMES.runsNamespace).metadata?.labels ?? {};
    for (const mode of ['enforce', 'audit', 'warn'])
      expect(labels[`pod-security.kubernetes.io/${mode}`]).toBe('restricted');
  });

  it('the Role grants exactly RUN_PERMISSIONS plus the namespaced DOCTOR_PERMISSIONS, no wildcards', () => {
    const role = one<V1Role>('Role', RBAC_NAMES.role);
    expect(role.metadata?.namespace).toBe(RBAC_NAMES.runsNamespace);
    expectNoWildcards(role.rules ?? []);
    expect(grantedPermissions(role.rules ?? [])).toEqual(names([...RUN_PERMISSIONS, ...namespaced]));
  });

  it('the ClusterRole grants exactly the cluster-wide DOCTOR_PERMISSIONS: read-only, no wildcards', () => {
    const role = one<V1ClusterRole>('ClusterRole', RBAC_NAMES.clusterRole);
    expectNoWildcards(role.rules ?? []);
    expect(grantedPermissions(role.rules ?? [])).toEqual(names(clusterWide));
    for (const rule of role.rules ?? [])
      for (const verb of rule.verbs) expect(['get', 'list']).toContain(verb);
    expect(role.aggregationRule).toBeUndefined();
  });

  it('the labs ClusterRole grants exactly LAB_PERMISSIONS, no wildcards, nothing on RBAC or Secrets', () => {
    const role = one<V1ClusterRole>('ClusterRole', RBAC_NAMES.labsClusterRole);
    expectNoWildcards(role.rules ?? []);
    expect(grantedPermissions(role.rules ?? [])).toEqual(names(LAB_PERMISSIONS));
    for (const rule of role.rules ?? []) {
      expect(rule.apiGroups).not.toContain('rbac.authorization.k8s.io');
      expect(rule.resources).not.toContain('secrets');
    }
    expect(role.aggregationRule).toBeUndefined();
  });

  it('every binding names the ServiceAccount aperture/aperture and nothing else', () => {
    one('ServiceAccount', RBAC_NAMES.serviceAccount);
    const subject = [{ kind: 'ServiceAccount', name: 'aperture', namespace: 'aperture' }];
    const binding = one<V1RoleBinding>('RoleBinding');
    expect(binding.metadata?.namespace).toBe(RBAC_NAMES.runsNamespace);
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: RBAC_NAMES.role,
    });
    expect(binding.subjects).toEqual(subject);
    for (const name of [RBAC_NAMES.clusterRole, RBAC_NAMES.labsClusterRole]) {
      const clusterBinding = one<V1ClusterRoleBinding>('ClusterRoleBinding', name);
      expect(clusterBinding.roleRef).toMatchObject({ kind: 'ClusterRole', name });
      expect(clusterBinding.subjects).toEqual(subject);
    }
  });

  it('NetworkPolicies: default-deny both ways; only LABEL_NETWORK pods get out, not to metadata or private ranges', () => {
    const policies = objects.filter((o): o is V1NetworkPolicy => o.kind === 'NetworkPolicy');
    for (const p of policies) expect(p.metadata?.namespace).toBe(RBAC_NAMES.runsNamespace);
    const deny = policies.find((p) => p.metadata?.name === 'default-deny');
    expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const allow = policies.filter((p) => p !== deny);
    expect(allow).toHaveLength(1);
    const spec = allow[0]?.spec;
    expect(spec?.podSelector).toEqual({ matchLabels: { [LABEL_NETWORK]: 'true' } });
    expect(spec?.policyTypes).toEqual(['Egress']);
    expect(spec?.ingress).toBeUndefined();
    const v4 = spec?.egress
      ?.flatMap((rule) => rule.to ?? [])
      .find((peer) => peer.ipBlock?.cidr === '0.0.0.0/0');
    expect(v4?.ipBlock?.except).toEqual(
      expect.arrayContaining(['169.254.169.254/32', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']),
    );
  });

  it('PriorityClasses: platform > labs > runs, none the global default, runs never preempt', () => {
    const pc = (name: string) => one<V1PriorityClass>('PriorityClass', name);
    const { platform, labs, runs } = DEFAULT_PRIORITY_CLASSES;
    expect(pc(platform).value).toBeGreaterThan(pc(labs).value);
    expect(pc(labs).value).toBeGreaterThan(pc(runs).value);
    for (const name of [platform, labs, runs]) {
      expect(pc(name).globalDefault).toBe(false);
      expect(pc(name).description).toBeTruthy();
    }
    expect(pc(runs).preemptionPolicy).toBe('Never');
  });
});

describe('the test fixture’s edits of deploy/rbac/', () => {
  const names = {
    runsNamespace: 'aperture-runs-1a2b',
    platformNamespace: 'aperture-1a2b',
    clusterRole: 'aperture-doctor-1a2b',
    labsClusterRole: 'aperture-labs-1a2b',
  };

  it('renames namespaces, the subjects that point into them and the cluster-scoped role', () => {
    const all = objects.map((o) => renamed(o, names));
    expect(JSON.stringify(all)).not.toMatch(/"namespace":"aperture(-runs)?"/);
    expect(all.filter((o) => o.kind === 'Namespace').map((o) => o.metadata?.name)).toEqual([
      names.runsNamespace,
      names.platformNamespace,
    ]);
    const binding = all.find((o) => o.kind === 'ClusterRoleBinding') as V1ClusterRoleBinding;
    expect(binding.metadata?.name).toBe(names.clusterRole);
    expect(binding.roleRef.name).toBe(names.clusterRole);
    expect(binding.subjects?.[0]?.namespace).toBe(names.platformNamespace);
    const labs = all.filter((o) => o.kind === 'ClusterRoleBinding')[1] as V1ClusterRoleBinding;
    expect([labs.metadata?.name, labs.roleRef.name]).toEqual([names.labsClusterRole, names.labsClusterRole]);
    // PriorityClasses are shared, so they keep their names.
    expect(all.filter((o) => o.kind === 'PriorityClass').map((o) => o.metadata?.name)).toEqual([
      'aperture-platform',
      'aperture-labs',
      'aperture-runs',
    ]);
  });

  it('removes exactly one permission from a Role', () => {
    const rules = one<V1Role>('Role', RBAC_NAMES.role).rules ?? [];
    const createJobs = RUN_PERMISSIONS.find((p) => describePermission(p) === 'create jobs.batch')!;
    const left = grantedPermissions(withoutPermission(rules, createJobs));
    expect(left).toEqual(grantedPermissions(rules).filter((p) => p !== 'create jobs.batch'));
    const podsLog = RUN_PERMISSIONS.find((p) => p.subresource === 'log')!;
    expect(grantedPermissions(withoutPermission(rules, podsLog))).not.toContain('get pods/log');
    expect(grantedPermissions(withoutPermission(rules, podsLog))).toContain('list pods');
  });

  it('grantedPermissions spells wildcards literally, so they can never match permissions.ts', () => {
    expect(grantedPermissions([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }])).toEqual(['* *.*']);
  });
});
