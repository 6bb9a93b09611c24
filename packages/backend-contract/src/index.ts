export * from './fixtures.ts';
export * from './lab-provisioner-contract.ts';
export * from './run-executor-contract.ts';
