import type { VersionInfo } from '@kubernetes/client-node';
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
  evaluateDefaultDeny,
  evaluateDoctorAccess,
  evaluateNamespace,
  evaluatePodSecurity,
  evaluateRunAccess,
} from './evaluate-namespace.ts';
import type { ClusterFacts } from './facts.ts';
import type { Probe, ProbeFailure } from './failures.ts';
import { CHECKS, type CheckId, check, type DoctorCheck } from './report.ts';

/** The whole checklist, in report order, from what the cluster answered. */
export function evaluate(facts: ClusterFacts): DoctorCheck[] {
  const api = evaluateApi(facts.version, facts.server);
  const c = facts.cluster;
  if (!c) return [api, ...notChecked(CLUSTER_CHECKS, 'the API server did not answer', 'API server')];
  const ns = facts.namespace;
  const namespace = evaluateNamespace(c.runsNamespace, ns);
  // Without the namespace there is nothing in it to look at: say so, instead of odd verdicts.
  const missing = !c.runsNamespace.ok && c.runsNamespace.failure.reason === 'not-found';
  const inNamespace = missing
    ? notChecked(
        ['network-policy-default-deny', 'pod-security', 'run-isolation'],
        `namespace ${ns} does not exist`,
        'Runs namespace',
      )
    : [
        evaluateDefaultDeny(c.networkPolicies, ns),
        evaluatePodSecurity(c.podSecurity, ns),
        evaluateRunIsolation(c.runIsolation, ns),
      ];
  return order([
    api,
    namespace,
    evaluateRunAccess(c.runAccess, ns),
    evaluateDoctorAccess(c.doctorAccess, ns),
    evaluateLabAccess(c.labAccess),
    evaluateNetworkPolicyEnforcement(c.cniPods, c.nodes),
    ...inNamespace,
    evaluateRuntimeClasses(c.runtimeClasses),
    evaluateStorageClasses(c.storageClasses),
    evaluateVolumeSnapshots(c.snapshotClasses),
    evaluateNodes(c.nodes),
    evaluatePriorityClasses(c.priorityClasses, facts.priorityClassNames),
  ]);
}

const CLUSTER_CHECKS = (Object.keys(CHECKS) as CheckId[]).filter((id) => id !== 'api');

/** In the order of CHECKS, whatever order they were judged in. */
function order(checks: DoctorCheck[]): DoctorCheck[] {
  const ids = Object.keys(CHECKS);
  return [...checks].sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
}

/** PodSecurity admission is built in (GA) since 1.25; the runs namespace relies on it. */
const MIN_MINOR = 25;

const API_HINTS: Record<ProbeFailure['reason'], string> = {
  unreachable:
    'check the server address of the kubeconfig in use (--kubeconfig, --context, KUBECONFIG): the API ' +
    'server usually listens on port 6443 and must be reachable from here (firewall, VPN, load balancer)',
  timeout:
    'nothing answered: check the server address and port (usually 6443) of the kubeconfig in use, ' +
    'and that no firewall drops the connection',
  tls:
    "the server's certificate did not verify: the kubeconfig's certificate-authority-data must be the " +
    "cluster's CA, and the server address a name or IP the certificate was issued for",
  unauthorized:
    'the credentials were rejected: a ServiceAccount token may have expired (mint one with ' +
    '`kubectl -n aperture create token aperture`, see deploy/rbac/README.md); a client certificate ' +
    "must be signed by the cluster's CA",
  forbidden: 'the credentials may not even read /version: check the kubeconfig user',
  'not-found': 'the server address does not lead to a Kubernetes API server: check its path and port (6443)',
  error: 'check the kubeconfig (--kubeconfig, --context, KUBECONFIG) and that the API server is up',
};

export function evaluateApi(version: Probe<VersionInfo>, server: string): DoctorCheck {
  if (!version.ok) {
    const { reason, message } = version.failure;
    const where = server || 'the API server';
    const detail: Record<ProbeFailure['reason'], string> = {
      unreachable: `cannot reach ${where}: ${message}`,
      timeout: `${where}: ${message}`,
      tls: `TLS with ${where} failed: ${message}`,
      unauthorized: `${where} rejected the credentials (401): ${message}`,
      forbidden: `${where} refused /version (403): ${message}`,
      'not-found': `${where} has no /version (404): is it a Kubernetes API server?`,
      error: `${where}: ${message}`,
    };
    return check('api', 'fail', detail[reason], API_HINTS[reason]);
  }
  const { gitVersion, minor } = version.value;
  const minorNumber = Number.parseInt(minor, 10);
  if (version.value.major === '1' && minorNumber < MIN_MINOR)
    return check(
      'api',
      'warn',
      `Kubernetes ${gitVersion} at ${server}: older than 1.${MIN_MINOR}, which has PodSecurity admission built in`,
      'upgrade the cluster; Aperture is tested against Kubernetes 1.34',
    );
  return check('api', 'pass', `Kubernetes ${gitVersion} at ${server}`);
}

/** Lines that could not be judged because an earlier one failed: failed too, pointing at it. */
function notChecked(ids: readonly CheckId[], because: string, first: string): DoctorCheck[] {
  return ids.map((id) => check(id, 'fail', `not checked: ${because}`, `fix the ${first} line first`));
}
