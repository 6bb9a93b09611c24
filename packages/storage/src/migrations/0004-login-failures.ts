import type { Kysely } from 'kysely';
import type { StoreMigration } from './migration.ts';

/**
 * Sign-in attempts per (username, address) pair, per account and per client address
 * (LoginFailureRecord), in the database so a throttle holds across restarts and replicas. An
 * account key is the username as typed, not a user id: unknown usernames are counted too, so the
 * answers never tell who exists.
 */
export const loginFailures: StoreMigration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('login_failures')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('first_failure_at', 'text', (c) => c.notNull())
      .addColumn('last_failure_at', 'text', (c) => c.notNull())
      .addColumn('locked_until', 'text')
      // 1 when the last reservation was refused (the counter was locked): what the upsert that
      // decides it reports back, as RETURNING sees only the row after the update.
      .addColumn('last_refused', 'integer', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('login_failures_pk', ['kind', 'key'])
      .execute();
    // The sweep of old counters is the only read not by key.
    await db.schema
      .createIndex('login_failures_last_failure')
      .on('login_failures')
      .column('last_failure_at')
      .execute();
  },
};
