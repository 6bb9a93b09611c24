export { DEFAULT_RUNS_NAMESPACE, type DoctorOptions, runDoctor } from './doctor.ts';
export { DEFAULT_PRIORITY_CLASSES, type PriorityClassNames } from './facts.ts';
export { CHECKS, type CheckId, type CheckStatus, type DoctorCheck, type DoctorReport } from './report.ts';
