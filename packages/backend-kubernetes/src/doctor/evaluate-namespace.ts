import type { V1Namespace, V1NetworkPolicy } from '@kubernetes/client-node';
import { DOCTOR_PERMISSIONS, describePermission, type Permission, RUN_PERMISSIONS } from '../permissions.ts';
import { doctorPermission, permissionList, unanswered } from './evaluate-common.ts';
import type { AccessResult, Admission, PodSecurityFacts } from './facts.ts';
import type { Probe } from './failures.ts';
import { check, type DoctorCheck } from './report.ts';

/** The checks of the runs namespace itself: its labels, Aperture's permissions in it, its guards. */

const ENFORCE = 'pod-security.kubernetes.io/enforce';

const labelHint = (ns: string) =>
  `kubectl label namespace ${ns} --overwrite ${ENFORCE}=restricted (deploy/rbac/namespace.yaml sets it, with audit and warn)`;

export function evaluateNamespace(probe: Probe<V1Namespace>, ns: string): DoctorCheck {
  if (!probe.ok) {
    if (probe.failure.reason === 'not-found')
      return check(
        'namespace',
        'fail',
        `namespace ${ns} does not exist`,
        'kubectl apply -f deploy/rbac/ creates aperture-runs; for another name, pass --namespace (APERTURE_K8S_NAMESPACE)',
      );
    return unanswered('namespace', probe.failure, doctorPermission('namespaces'));
  }
  if (probe.value.status?.phase === 'Terminating')
    return check(
      'namespace',
      'fail',
      `namespace ${ns} is being deleted`,
      'wait for it to go, then kubectl apply -f deploy/rbac/',
    );
  const labels = probe.value.metadata?.labels ?? {};
  const level = labels[ENFORCE];
  const version = labels[`${ENFORCE}-version`] ?? 'latest';
  if (level === 'restricted')
    return check('namespace', 'pass', `${ns} exists; PodSecurity enforce=restricted (version ${version})`);
  if (level === undefined)
    return check(
      'namespace',
      'fail',
      `${ns} has no ${ENFORCE} label: run pods get the cluster's default PodSecurity level (usually privileged)`,
      labelHint(ns),
    );
  return check('namespace', 'warn', `${ns} enforces PodSecurity "${level}", not "restricted"`, labelHint(ns));
}

export function evaluateRunAccess(probe: Probe<AccessResult[]>, ns: string): DoctorCheck {
  if (!probe.ok)
    return check(
      'rbac-runs',
      'fail',
      `could not ask the API server (SelfSubjectAccessReview): ${probe.failure.message}`,
      'every authenticated user may ask; check the credentials and the API server',
    );
  const missing = probe.value.filter((r) => !r.allowed).map((r) => r.permission);
  if (missing.length === 0)
    return check(
      'rbac-runs',
      'pass',
      `all ${RUN_PERMISSIONS.length} allowed in ${ns}: ${permissionList(RUN_PERMISSIONS)}`,
    );
  return check(
    'rbac-runs',
    'fail',
    `missing in ${ns}: ${missing.map((p) => `${describePermission(p)} (${p.why})`).join('; ')}`,
    `kubectl apply -f deploy/rbac/ (role-runs.yaml binds Role aperture-runner in ${ns} to ServiceAccount ` +
      'aperture/aperture); if Aperture runs as another account, bind the Role to that one',
  );
}

export function evaluateDoctorAccess(probe: Probe<AccessResult[]>, ns: string): DoctorCheck {
  if (!probe.ok)
    return check(
      'rbac-doctor',
      'warn',
      `could not ask the API server: ${probe.failure.message}`,
      'check the credentials',
    );
  const missing = probe.value.filter((r) => !r.allowed).map((r) => r.permission);
  if (missing.length === 0)
    return check(
      'rbac-doctor',
      'pass',
      `all ${DOCTOR_PERMISSIONS.length} allowed: ${byVerb(DOCTOR_PERMISSIONS)}`,
    );
  const where = (scope: string) => (scope === 'namespace' ? ` in ${ns}` : '');
  return check(
    'rbac-doctor',
    'warn',
    `missing (doctor only, runs work without): ${missing.map((p) => `${describePermission(p)}${where(p.scope)}`).join('; ')}`,
    'kubectl apply -f deploy/rbac/clusterrole-doctor.yaml -f deploy/rbac/role-runs.yaml (read-only); ' +
      'without them, the lines that need them say "not checked"',
  );
}

export function evaluateDefaultDeny(probe: Probe<V1NetworkPolicy[]>, ns: string): DoctorCheck {
  if (!probe.ok)
    return unanswered('network-policy-default-deny', probe.failure, doctorPermission('networkpolicies'));
  const policies = probe.value;
  const ingress = policies.filter((p) => deniesAll(p, 'Ingress'));
  const egress = policies.filter((p) => deniesAll(p, 'Egress'));
  const hint = 'kubectl apply -f deploy/rbac/networkpolicy-runs.yaml';
  if (ingress.length === 0 && egress.length === 0)
    return check(
      'network-policy-default-deny',
      'warn',
      `no default-deny NetworkPolicy in ${ns}: its pods may open any connection and accept any`,
      hint,
    );
  if (ingress.length === 0 || egress.length === 0)
    return check(
      'network-policy-default-deny',
      'warn',
      `${ns} denies only ${ingress.length ? 'ingress' : 'egress'} by default (${names([...ingress, ...egress])})`,
      hint,
    );
  const deny = new Set([...ingress, ...egress]);
  const others = policies.filter((p) => !deny.has(p));
  return check(
    'network-policy-default-deny',
    'pass',
    `${names([...deny])} denies all ingress and egress in ${ns}` +
      (others.length ? `; also: ${names(others)}` : ''),
  );
}

/** Selects every pod and, for this direction, allows nothing. */
export function deniesAll(policy: V1NetworkPolicy, direction: 'Ingress' | 'Egress'): boolean {
  const spec = policy.spec;
  if (!spec) return false;
  const selector = spec.podSelector ?? {};
  const selectsAll =
    Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
  // Without policyTypes, a policy is an Ingress policy, and an Egress one too if it has egress rules.
  const types = spec.policyTypes ?? ['Ingress', ...(spec.egress ? ['Egress'] : [])];
  const rules = direction === 'Ingress' ? spec.ingress : spec.egress;
  return selectsAll && types.includes(direction) && (rules ?? []).length === 0;
}

/** `get namespaces; list nodes, runtimeclasses`: short, for read-only lists. */
function byVerb(permissions: readonly Permission[]): string {
  const verbs = new Map<string, string[]>();
  for (const p of permissions) verbs.set(p.verb, [...(verbs.get(p.verb) ?? []), p.resource]);
  return [...verbs].map(([verb, resources]) => `${verb} ${resources.join(', ')}`).join('; ');
}

const names = (policies: readonly V1NetworkPolicy[]) =>
  [...new Set(policies.map((p) => p.metadata?.name ?? '?'))].join(', ');

export function evaluatePodSecurity(probe: Probe<PodSecurityFacts>, ns: string): DoctorCheck {
  if (!probe.ok) return unanswered('pod-security', probe.failure);
  const facts = probe.value;
  if (!facts.tried)
    return check(
      'pod-security',
      'warn',
      `not tested: these credentials may not create pods in ${ns}, not even as a dry run (Aperture does not need to)`,
      "run `aperture doctor` once with an administrator's kubeconfig to test admission",
    );
  if (!facts.compliant.admitted)
    return check(
      'pod-security',
      'warn',
      `inconclusive: even a pod that meets "restricted" was refused (${facts.compliant.status}): ${facts.compliant.message}`,
      `something besides PodSecurity refuses pods in ${ns} (a quota, a LimitRange, a policy engine, no default ` +
        'ServiceAccount yet); fix that and run doctor again',
    );
  if (facts.privileged.admitted)
    return check(
      'pod-security',
      'fail',
      `a privileged pod would be admitted in ${ns} (server-side dry run)`,
      `${labelHint(ns)}; if it is labelled already, the PodSecurity admission plugin is disabled ` +
        '(--disable-admission-plugins) or exempts this namespace: enable it',
    );
  if (facts.root.admitted)
    return check(
      'pod-security',
      'warn',
      `privileged pods are refused, but a root pod without a seccomp profile is admitted: ${ns} enforces less than "restricted"`,
      labelHint(ns),
    );
  return check('pod-security', 'pass', `a privileged pod is refused (dry run): ${brief(facts.privileged)}`);
}

/** The server's reason, without the generated pod name and per-container details, on one line. */
function brief(admission: Admission): string {
  if (admission.admitted) return 'admitted';
  const reason = admission.message.replace(/^pods "[^"]*" is forbidden: /, '').replace(/ \([^)]*\)/g, '');
  return reason.length > 160 ? `${reason.slice(0, 159)}…` : reason;
}
