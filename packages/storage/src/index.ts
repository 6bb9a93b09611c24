export { createStore, type StoreConfig } from './create-store.ts';
export { conflictError, mapConflicts, type UniqueViolation, uniqueViolation } from './errors.ts';
export { KyselyStore } from './kysely-store.ts';
export { MIGRATIONS } from './migrations/index.ts';
export type { Database } from './schema.ts';
