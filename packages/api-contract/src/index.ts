export * from './bounds/nesting.ts';
export * from './labs/index.ts';
export * from './schemas.ts';
