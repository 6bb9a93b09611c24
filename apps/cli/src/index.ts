export * from './api-client.ts';
export * from './errors.ts';
export { buildProgram } from './program.ts';
export * from './sse.ts';
