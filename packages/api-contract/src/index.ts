export * from './labs/index.ts';
export * from './schemas.ts';
