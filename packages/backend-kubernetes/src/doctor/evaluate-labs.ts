import { LAB_PERMISSIONS } from '../labs/lab-permissions.ts';
import { describePermission } from '../permissions.ts';
import { permissionList } from './evaluate-common.ts';
import type { AccessResult } from './facts.ts';
import type { Probe } from './failures.ts';
import { check, type DoctorCheck } from './report.ts';

/**
 * Labs need cluster-wide rights (each student's namespace is made on the fly). A warning, not a
 * failure, when missing: runs work without them, and an installation may not offer labs.
 */
export function evaluateLabAccess(probe: Probe<AccessResult[]>): DoctorCheck {
  if (!probe.ok)
    return check(
      'rbac-labs',
      'warn',
      `could not ask the API server (SelfSubjectAccessReview): ${probe.failure.message}`,
      'check the credentials',
    );
  const missing = probe.value.filter((r) => !r.allowed).map((r) => r.permission);
  if (missing.length === 0)
    return check(
      'rbac-labs',
      'pass',
      `all ${LAB_PERMISSIONS.length} allowed cluster-wide: ${permissionList(LAB_PERMISSIONS)}`,
    );
  return check(
    'rbac-labs',
    'warn',
    `labs will not work (runs do): missing cluster-wide ${missing.map((p) => `${describePermission(p)} (${p.why})`).join('; ')}`,
    'kubectl apply -f deploy/rbac/clusterrole-labs.yaml (binds ClusterRole aperture-labs to ServiceAccount ' +
      'aperture/aperture); if Aperture runs as another account, bind the ClusterRole to that one',
  );
}
