export * from './api.ts';
export * from './lab-template.ts';
