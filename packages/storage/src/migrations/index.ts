import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './0001-initial.ts';
import { labs } from './0002-labs.ts';
import { labAccessLog } from './0003-lab-access-log.ts';
import { loginFailures } from './0004-login-failures.ts';
import type { SqlDialect, StoreMigration } from './migration.ts';

/** Every migration, in order. Names sort; never rename or edit one that has shipped. */
export const MIGRATIONS: Readonly<Record<string, StoreMigration>> = {
  '0001-initial': initial,
  '0002-labs': labs,
  '0003-lab-access-log': labAccessLog,
  '0004-login-failures': loginFailures,
};

/** Feeds MIGRATIONS to Kysely's Migrator, bound to one dialect. */
export class InCodeMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: SqlDialect) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const bound: Record<string, Migration> = {};
    for (const [name, migration] of Object.entries(MIGRATIONS)) {
      bound[name] = { up: (db) => migration.up(db, this.dialect) };
    }
    return bound;
  }
}
