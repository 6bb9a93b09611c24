export * from './fixtures.ts';
export * from './run-executor-contract.ts';
