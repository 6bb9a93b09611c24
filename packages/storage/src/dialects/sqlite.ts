import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { type Dialect, SqliteDialect } from 'kysely';

export interface SqliteOptions {
  path: string;
  /** How long a writer waits for another connection's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

/**
 * One better-sqlite3 connection; Kysely serialises every query and transaction on it. WAL lets
 * readers in other processes (a CLI, a backup) work while the server writes.
 */
export function sqliteDialect(options: SqliteOptions): Dialect {
  return new SqliteDialect({ database: openSqliteDatabase(options) });
}

export function openSqliteDatabase(options: SqliteOptions): SqliteDatabase.Database {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const database = new SqliteDatabase(options.path);
  database.pragma('journal_mode = WAL');
  database.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5_000}`);
  // Off by default in SQLite; PostgreSQL always enforces them, and both must behave alike.
  database.pragma('foreign_keys = ON');
  // Safe with WAL: a crash may lose the last commits, never corrupt the file.
  database.pragma('synchronous = NORMAL');
  return database;
}
