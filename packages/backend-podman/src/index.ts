export * from './labs/index.ts';
export * from './podman-api-run-executor.ts';
export * from './podman-run-executor.ts';
export * from './sandbox-args.ts';
export { READY_LINE } from './sandbox-process.ts';
