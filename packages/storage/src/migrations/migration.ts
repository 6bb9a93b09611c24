import type { Kysely } from 'kysely';

export type SqlDialect = 'sqlite' | 'postgres';

/**
 * A Kysely migration that also knows the dialect, for the few column types that differ
 * (booleans). Everything else is written once for both databases.
 */
export interface StoreMigration {
  up(db: Kysely<unknown>, dialect: SqlDialect): Promise<void>;
}

export function booleanType(dialect: SqlDialect): 'boolean' | 'integer' {
  return dialect === 'postgres' ? 'boolean' : 'integer';
}
