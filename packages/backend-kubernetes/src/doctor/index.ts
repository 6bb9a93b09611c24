export * from './cni.ts';
export * from './doctor.ts';
export * from './evaluate.ts';
export type { PriorityClassNames } from './facts.ts';
export { DEFAULT_PRIORITY_CLASSES } from './facts.ts';
export * from './report.ts';
