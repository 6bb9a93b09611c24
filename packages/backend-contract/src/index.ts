export * from './fixtures.ts';
export * from './run-executor-contract.ts';
export * from './lab-provisioner-contract.ts';
