export * from './config.ts';
export * from './server.ts';
export { buildApp } from './app.ts';
