export type CheckStatus = 'pass' | 'warn' | 'fail';

/** One line of `aperture doctor`. */
export interface DoctorCheck {
  /** Stable, for scripts: `api`, `rbac-runs`, `network-policy-enforcement`, … */
  id: CheckId;
  title: string;
  status: CheckStatus;
  detail: string;
  /** How to fix it; every non-passing line has one. */
  hint?: string;
}

export interface DoctorReport {
  server: string;
  context: string;
  namespace: string;
  checks: DoctorCheck[];
  summary: Record<CheckStatus, number>;
}

/** Every check, in the order the report lists them. */
export const CHECKS = {
  api: 'API server',
  namespace: 'Runs namespace',
  'rbac-runs': 'Run permissions',
  'rbac-doctor': 'Doctor permissions',
  'rbac-labs': 'Lab permissions',
  'network-policy-enforcement': 'NetworkPolicy enforcement',
  'network-policy-default-deny': 'Default-deny policy',
  'pod-security': 'PodSecurity admission',
  'run-isolation': 'Run isolation',
  'runtime-classes': 'RuntimeClasses',
  'storage-classes': 'StorageClasses',
  'volume-snapshots': 'VolumeSnapshots',
  nodes: 'Nodes',
  'priority-classes': 'PriorityClasses',
} as const;

export type CheckId = keyof typeof CHECKS;

export function check(id: CheckId, status: CheckStatus, detail: string, hint?: string): DoctorCheck {
  return { id, title: CHECKS[id], status, detail, ...(hint ? { hint } : {}) };
}

export function summarize(checks: readonly DoctorCheck[]): Record<CheckStatus, number> {
  const summary = { pass: 0, warn: 0, fail: 0 };
  for (const c of checks) summary[c.status]++;
  return summary;
}
