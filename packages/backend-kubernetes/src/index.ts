export * from './api-errors.ts';
export * from './job-manifest.ts';
export * from './kube-config.ts';
export * from './kubernetes-run-executor.ts';
export * from './labels.ts';
export * from './permissions.ts';
export * from './placement-syntax.ts';
export * from './pod-state.ts';
