import { DOCTOR_PERMISSIONS, describePermission, type Permission } from '../permissions.ts';
import type { ProbeFailure } from './failures.ts';
import { type CheckId, check, type DoctorCheck } from './report.ts';

/** The line of a check whose question got no answer: a warning, saying what would let it answer. */
export function unanswered(id: CheckId, failure: ProbeFailure, permission?: Permission): DoctorCheck {
  if (failure.reason === 'forbidden' && permission)
    return check(
      id,
      'warn',
      `not checked: these credentials may not ${describePermission(permission)}`,
      permission.scope === 'cluster'
        ? 'kubectl apply -f deploy/rbac/clusterrole-doctor.yaml (read-only), or run doctor with an administrator’s kubeconfig'
        : 'kubectl apply -f deploy/rbac/role-runs.yaml, or run doctor with an administrator’s kubeconfig',
    );
  return check(
    id,
    'warn',
    `not checked: ${failure.message}`,
    'run doctor again; if it persists, see the API server’s log',
  );
}

/** The doctor permission a check needs, by resource (one of DOCTOR_PERMISSIONS). */
export function doctorPermission(resource: string): Permission {
  const permission = DOCTOR_PERMISSIONS.find((p) => p.resource === resource);
  if (!permission) throw new Error(`no doctor permission for ${resource}`);
  return permission;
}

/** `create, delete, list jobs.batch; list, watch pods; get pods/log`. */
export function permissionList(permissions: readonly Permission[]): string {
  const byResource = new Map<string, string[]>();
  for (const p of permissions) {
    const [verb, ...rest] = describePermission(p).split(' ');
    const resource = rest.join(' ');
    byResource.set(resource, [...(byResource.get(resource) ?? []), verb ?? '']);
  }
  return [...byResource].map(([resource, verbs]) => `${verbs.join(', ')} ${resource}`).join('; ');
}
