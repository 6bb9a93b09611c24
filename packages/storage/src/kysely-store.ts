import type { Store } from '@aperture/core';
import { type Kysely, sql } from 'kysely';
import type { SqlDialect } from './migrations/migration.ts';
import { KyselyAssignmentRepository } from './repositories/assignments.ts';
import { KyselyCourseRepository } from './repositories/courses.ts';
import { KyselyEnrollmentRepository } from './repositories/enrollments.ts';
import { KyselyLabAccessLogRepository } from './repositories/lab-access-log.ts';
import { KyselyLabDeploymentRepository } from './repositories/lab-deployments.ts';
import { KyselyLabEnvironmentRepository } from './repositories/lab-environments.ts';
import { KyselyLabVersionRepository } from './repositories/lab-versions.ts';
import { KyselyLabRepository } from './repositories/labs.ts';
import { KyselyLoginFailureRepository } from './repositories/login-failures.ts';
import { KyselyRunRepository } from './repositories/runs.ts';
import { KyselySessionRepository } from './repositories/sessions.ts';
import { KyselyTokenRepository } from './repositories/tokens.ts';
import { KyselyUserRepository } from './repositories/users.ts';
import type { Database } from './schema.ts';

/** The Store over any Kysely instance: the pool, or one transaction of it. */
export class KyselyStore implements Store {
  readonly users;
  readonly tokens;
  readonly sessions;
  readonly courses;
  readonly enrollments;
  readonly assignments;
  readonly runs;
  readonly labs;
  readonly labVersions;
  readonly labDeployments;
  readonly labEnvironments;
  readonly labAccessLog;
  readonly loginFailures;
  private closed = false;

  constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: SqlDialect,
  ) {
    this.users = new KyselyUserRepository(db);
    this.tokens = new KyselyTokenRepository(db);
    this.sessions = new KyselySessionRepository(db);
    this.courses = new KyselyCourseRepository(db);
    this.enrollments = new KyselyEnrollmentRepository(db);
    this.assignments = new KyselyAssignmentRepository(db);
    this.runs = new KyselyRunRepository(db, dialect);
    this.labs = new KyselyLabRepository(db);
    this.labVersions = new KyselyLabVersionRepository(db);
    this.labDeployments = new KyselyLabDeploymentRepository(db);
    this.labEnvironments = new KyselyLabEnvironmentRepository(db);
    this.labAccessLog = new KyselyLabAccessLogRepository(db);
    this.loginFailures = new KyselyLoginFailureRepository(db);
  }

  /** Inside a transaction, a nested call joins it: Kysely has no nested transactions. */
  async transaction<T>(work: (store: Store) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this);
    return this.db.transaction().execute((trx) => work(new KyselyStore(trx, this.dialect)));
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  /** Idempotent. A transaction's store does not own the connection; the outer store closes it. */
  async close(): Promise<void> {
    if (this.db.isTransaction || this.closed) return;
    this.closed = true;
    await this.db.destroy();
  }
}
