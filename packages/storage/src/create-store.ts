import type { Logger, Store } from '@aperture/core';
import { type Dialect, Kysely, Migrator, sql } from 'kysely';
import { isPostgresUrl, postgresDialect } from './dialects/postgres.ts';
import { sqliteDialect } from './dialects/sqlite.ts';
import { KyselyStore } from './kysely-store.ts';
import { InCodeMigrationProvider } from './migrations/index.ts';
import type { SqlDialect } from './migrations/migration.ts';
import type { Database } from './schema.ts';

export interface StoreConfig {
  /** `postgres://…` selects PostgreSQL; `sqlite:<path>` or a plain path selects SQLite. */
  url?: string;
  sqlitePath?: string;
  logger?: Logger;
}

/** Opens the database named by the config and brings its schema up to date. */
export async function createStore(config: StoreConfig): Promise<Store> {
  const { kind, dialect } = openDialect(config);
  const db = new Kysely<Database>({ dialect });
  try {
    await migrate(db, kind, config.logger);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new KyselyStore(db, kind);
}

function openDialect(config: StoreConfig): { kind: SqlDialect; dialect: Dialect } {
  if (config.url && isPostgresUrl(config.url)) {
    return { kind: 'postgres', dialect: postgresDialect({ url: config.url }) };
  }
  const path = config.sqlitePath ?? config.url?.replace(/^sqlite:(\/\/)?/, '');
  if (!path) throw new Error('createStore needs a postgres:// URL or a SQLite path.');
  return { kind: 'sqlite', dialect: sqliteDialect({ path }) };
}

/** Applies pending migrations; on PostgreSQL Kysely holds a lock so two servers cannot race. */
async function migrate(db: Kysely<Database>, kind: SqlDialect, logger?: Logger): Promise<void> {
  const migrator = await migratorFor(db, kind);
  const { error, results = [] } = await migrator.migrateToLatest();
  const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (applied.length > 0) logger?.info({ dialect: kind, applied }, 'database migrated');
  if (error) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The database as an older release left it: migrated up to and including `last` only. For upgrade
 * tests; the caller seeds it and destroys the handle.
 */
export async function openAtMigration(config: StoreConfig, last: string): Promise<Kysely<Database>> {
  const { kind, dialect } = openDialect(config);
  const db = new Kysely<Database>({ dialect });
  const { error } = await (await migratorFor(db, kind)).migrateTo(last);
  if (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

async function migratorFor(db: Kysely<Database>, kind: SqlDialect): Promise<Migrator> {
  return new Migrator({
    db,
    provider: new InCodeMigrationProvider(kind),
    ...(kind === 'postgres' ? { migrationTableSchema: await currentSchema(db) } : {}),
  });
}

/**
 * Kysely looks for its migration tables in every schema it can see; pinning them to the schema
 * our tables go to (the first on search_path) keeps two Aperture schemas in one database apart.
 */
async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('PostgreSQL has no current schema: check search_path.');
  return schema;
}
