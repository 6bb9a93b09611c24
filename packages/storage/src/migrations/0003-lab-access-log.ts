import type { Kysely } from 'kysely';
import type { StoreMigration } from './migration.ts';

/**
 * Who opened someone else's lab copy, and when (LabAccessRecord): the copy's owner sees it. The
 * rows go with their deployment; a deleted viewer's rows go with the viewer.
 */
export const labAccessLog: StoreMigration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('lab_access_log')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('deployment_id', 'text', (c) =>
        c.notNull().references('lab_deployments.id').onDelete('cascade'),
      )
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('viewer_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('component', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    // "The newest opens of one copy" is the only read.
    await db.schema
      .createIndex('lab_access_log_copy_at')
      .on('lab_access_log')
      .columns(['deployment_id', 'user_id', 'at'])
      .execute();
  },
};
