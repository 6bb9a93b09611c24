export * from './lab-template.ts';
