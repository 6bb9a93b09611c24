import { type Kysely, sql } from 'kysely';
import type { StoreMigration } from './migration.ts';

/**
 * Labs, their versions, deployments and per-student environments. Deleting a lab takes its
 * versions, deployments and environments with it (the repository only deletes a lab whose
 * deployments are all destroyed); a deployment's environments go with the deployment.
 */
export const labs: StoreMigration = {
  async up(db) {
    await createLabsTable(db);
    await createLabVersionsTable(db);
    await createLabDeploymentsTable(db);
    await createLabEnvironmentsTable(db);
  },
};

async function createLabsTable(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('labs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('course_id', 'text', (c) => c.notNull().references('courses.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('dev_template', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    // Also serves "labs of a course" (its leading column).
    .addUniqueConstraint('labs_course_name_unique', ['course_id', 'name'])
    .execute();
}

async function createLabVersionsTable(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('lab_versions')
    .addColumn('lab_id', 'text', (c) => c.notNull().references('labs.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('template', 'text', (c) => c.notNull())
    .addColumn('images', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('check_results', 'text')
    .addColumn('snapshots', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('checked_at', 'text')
    .addColumn('published_at', 'text')
    // The same content in two labs has the same id: the key is the pair.
    .addPrimaryKeyConstraint('lab_versions_pkey', ['lab_id', 'id'])
    .execute();
  // Recovery looks for versions left `checking`; the primary key serves "versions of a lab".
  await db.schema.createIndex('lab_versions_state_idx').on('lab_versions').column('state').execute();
}

async function createLabDeploymentsTable(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('lab_deployments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('lab_id', 'text', (c) => c.notNull().references('labs.id').onDelete('cascade'))
    .addColumn('course_id', 'text', (c) => c.notNull().references('courses.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('version_id', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('teardown', 'text')
    // A deployed version must be one of the lab's own; NULL (a `dev` deployment) is not checked.
    .addForeignKeyConstraint('lab_deployments_version_fk', ['lab_id', 'version_id'], 'lab_versions', [
      'lab_id',
      'id',
    ])
    .execute();
  await deploymentIndex(db, 'lab_deployments_lab_idx', ['lab_id', 'created_at']);
  await deploymentIndex(db, 'lab_deployments_course_idx', ['course_id', 'created_at']);
  // The reconciler's scan of live deployments: destroyed ones pile up, live ones stay few.
  await db.schema
    .createIndex('lab_deployments_live_idx')
    .on('lab_deployments')
    .columns(['created_at'])
    .where(sql.ref('state'), '<>', 'destroyed')
    .execute();
}

async function createLabEnvironmentsTable(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('lab_environments')
    .addColumn('deployment_id', 'text', (c) =>
      c.notNull().references('lab_deployments.id').onDelete('cascade'),
    )
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('last_access_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('lab_environments_pkey', ['deployment_id', 'user_id'])
    .execute();
  // A student's "My labs"; the primary key serves "copies of a deployment".
  await db.schema.createIndex('lab_environments_user_idx').on('lab_environments').column('user_id').execute();
}

function deploymentIndex(db: Kysely<unknown>, name: string, columns: string[]): Promise<void> {
  return db.schema.createIndex(name).on('lab_deployments').columns(columns).execute();
}
