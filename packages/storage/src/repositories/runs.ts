import type {
  AdmissionLimits,
  AdmissionOutcome,
  HarnessResult,
  QueuedRunRef,
  Run,
  RunCompletion,
  RunListFilter,
  RunRepository,
  RunStatus,
  Timestamp,
  Verdict,
} from '@aperture/core';
import { type Insertable, type Kysely, type Selectable, sql, type Updateable } from 'kysely';
import { mapConflicts } from '../errors.ts';
import type { SqlDialect } from '../migrations/migration.ts';
import type { Database, RunsTable } from '../schema.ts';
import { jsonOrNull, parseOrNull } from './json.ts';

const ALL_STATUSES: readonly RunStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled'];

/**
 * Every state change is one conditional UPDATE (`WHERE status = …`), so two dispatchers, or a
 * dispatcher and a cancel, can race on a run and exactly one of them wins on either database.
 */
export class KyselyRunRepository implements RunRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect,
  ) {}

  async insert(run: Run): Promise<void> {
    await mapConflicts(() => this.db.insertInto('runs').values(toRow(run)).execute());
  }

  async get(id: string): Promise<Run | undefined> {
    const row = await this.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && fromRow(row);
  }

  /** Newest first. */
  async list(filter: RunListFilter): Promise<Run[]> {
    let query = this.db.selectFrom('runs').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc');
    if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
    if (filter.assignmentId !== undefined) query = query.where('assignment_id', '=', filter.assignmentId);
    if (filter.courseId !== undefined) query = query.where('course_id', '=', filter.courseId);
    if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    const rows = await query.execute();
    return rows.map(fromRow);
  }

  async listQueued(limit: number, perUser?: number): Promise<QueuedRunRef[]> {
    const queued = this.db
      .selectFrom('runs')
      .select(['id', 'user_id', 'course_id', 'created_at'])
      .where('status', '=', 'queued');
    const rows =
      perUser === undefined
        ? await queued.orderBy('created_at').orderBy('id').limit(limit).execute()
        : await this.db
            // A window function (SQLite ≥ 3.25, PostgreSQL): each user's oldest `perUser` runs only.
            .selectFrom(
              queued
                .select(
                  sql<number>`row_number() over (partition by user_id order by created_at, id)`.as(
                    'user_rank',
                  ),
                )
                .as('q'),
            )
            .select(['id', 'user_id', 'course_id', 'created_at'])
            .where('user_rank', '<=', perUser)
            .orderBy('created_at')
            .orderBy('id')
            .limit(limit)
            .execute();
    return rows.map((row) => ({
      id: row.id,
      userId: row.user_id,
      courseId: row.course_id,
      createdAt: row.created_at,
    }));
  }

  async claim(id: string, startedAt: Timestamp): Promise<Run | undefined> {
    const row = await this.db
      .updateTable('runs')
      .set((eb) => ({ status: 'running', attempts: eb('attempts', '+', 1), started_at: startedAt }))
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .returningAll()
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async complete(id: string, attempt: number, completion: RunCompletion): Promise<boolean> {
    const result = await this.db
      .updateTable('runs')
      .set(completionToRow(completion))
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('attempts', '=', attempt)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async release(id: string, attempt: number): Promise<boolean> {
    const result = await this.db
      .updateTable('runs')
      .set({ status: 'queued', started_at: null })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('attempts', '=', attempt)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Undefined when there is no such run; otherwise the status after the request. */
  async requestCancel(id: string, at: Timestamp): Promise<RunStatus | undefined> {
    if (await this.cancelQueued(id, at)) return 'cancelled';
    if (await this.flagRunning(id)) return 'running';
    // Already terminal (or it finished between our two writes): report what it is now.
    const row = await this.db.selectFrom('runs').select('status').where('id', '=', id).executeTakeFirst();
    return row?.status as RunStatus | undefined;
  }

  async markCancelled(id: string, attempt: number, at: Timestamp): Promise<boolean> {
    const result = await this.db
      .updateTable('runs')
      .set({ status: 'cancelled', finished_at: at })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('attempts', '=', attempt)
      .where('cancel_requested', '=', 1)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async requeueRunning(): Promise<string[]> {
    const rows = await this.db
      .updateTable('runs')
      .set({ status: 'queued', started_at: null })
      .where('status', '=', 'running')
      .returning('id')
      .execute();
    return rows.map((row) => row.id).sort();
  }

  async countByStatus(): Promise<Record<RunStatus, number>> {
    const rows = await this.db
      .selectFrom('runs')
      .select((eb) => ['status', eb.fn.countAll().as('n')])
      .groupBy('status')
      .execute();
    const counts = Object.fromEntries(ALL_STATUSES.map((status) => [status, 0])) as Record<RunStatus, number>;
    for (const row of rows) counts[row.status as RunStatus] = Number(row.n);
    return counts;
  }

  /** Submissions (not ad-hoc runs) of any outcome created at or after `since`. */
  async countSubmissionsSince(assignmentId: string, userId: string, since: Timestamp): Promise<number> {
    const row = await this.db
      .selectFrom('runs')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('assignment_id', '=', assignmentId)
      .where('user_id', '=', userId)
      .where('kind', '=', 'submission')
      .where('created_at', '>=', since)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Count and insert in one transaction. On SQLite that is enough: Kysely runs a transaction alone
   * on its one connection, and SQLite has one writer. On PostgreSQL (READ COMMITTED) two
   * transactions could both count before either inserts, so the user's row is locked first: a
   * second admission of the same user waits for the first to commit, then counts again.
   */
  async admit(run: Run, limits: AdmissionLimits): Promise<AdmissionOutcome> {
    // Nothing to count (a staff re-run): a plain insert, no lock.
    if (limits.maxUnfinished === undefined && !limits.submissions) {
      await mapConflicts(() => this.db.insertInto('runs').values(toRow(run)).execute());
      return { admitted: true };
    }
    const work = async (db: Kysely<Database>): Promise<AdmissionOutcome> => {
      if (this.dialect === 'postgres') {
        await db.selectFrom('users').select('id').where('id', '=', run.userId).forUpdate().execute();
      }
      if (limits.maxUnfinished !== undefined) {
        const used = await countUnfinished(db, run.userId);
        if (used >= limits.maxUnfinished) return { admitted: false, limit: 'maxUnfinished', used };
      }
      if (limits.submissions && run.assignmentId) {
        const used = await new KyselyRunRepository(db, this.dialect).countSubmissionsSince(
          run.assignmentId,
          run.userId,
          limits.submissions.since,
        );
        if (used >= limits.submissions.max) return { admitted: false, limit: 'submissions', used };
      }
      await mapConflicts(() => db.insertInto('runs').values(toRow(run)).execute());
      return { admitted: true };
    };
    if (this.db.isTransaction) return work(this.db);
    if (this.dialect === 'postgres') return this.db.transaction().execute(work);
    // BEGIN IMMEDIATE: take the write lock before counting. A deferred transaction that reads and
    // then writes fails with "database is locked" when another connection (a second process on
    // the same file) wrote in between; an immediate one waits its turn (busy_timeout) instead.
    return this.db.connection().execute(async (db) => {
      await sql`begin immediate`.execute(db);
      try {
        const outcome = await work(db);
        await sql`commit`.execute(db);
        return outcome;
      } catch (error) {
        await sql`rollback`.execute(db);
        throw error;
      }
    });
  }

  async setWebhookStatus(id: string, status: NonNullable<Run['webhookStatus']>): Promise<void> {
    await this.db.updateTable('runs').set({ webhook_status: status }).where('id', '=', id).execute();
  }

  private async cancelQueued(id: string, at: Timestamp): Promise<boolean> {
    const result = await this.db
      .updateTable('runs')
      .set({ status: 'cancelled', cancel_requested: 1, finished_at: at })
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  private async flagRunning(id: string): Promise<boolean> {
    const result = await this.db
      .updateTable('runs')
      .set({ cancel_requested: 1 })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

async function countUnfinished(db: Kysely<Database>, userId: string): Promise<number> {
  const row = await db
    .selectFrom('runs')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('user_id', '=', userId)
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function completionToRow(completion: RunCompletion): Updateable<RunsTable> {
  return {
    status: completion.status,
    result: jsonOrNull(completion.result),
    verdict: completion.verdict,
    score: completion.score,
    max_score: completion.maxScore,
    error: completion.error,
    finished_at: completion.finishedAt,
  };
}

function toRow(run: Run): Insertable<RunsTable> {
  return {
    id: run.id,
    kind: run.kind,
    user_id: run.userId,
    course_id: run.courseId,
    assignment_id: run.assignmentId,
    status: run.status,
    spec: JSON.stringify(run.spec),
    result: jsonOrNull(run.result),
    verdict: run.verdict,
    score: run.score,
    max_score: run.maxScore,
    error: run.error,
    attempts: run.attempts,
    cancel_requested: run.cancelRequested ? 1 : 0,
    webhook_url: run.webhookUrl,
    webhook_status: run.webhookStatus,
    created_at: run.createdAt,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
  };
}

/** The one place this table's JSON and boolean columns are decoded. */
function fromRow(row: Selectable<RunsTable>): Run {
  return {
    id: row.id,
    kind: row.kind as Run['kind'],
    userId: row.user_id,
    courseId: row.course_id,
    assignmentId: row.assignment_id,
    status: row.status as RunStatus,
    spec: JSON.parse(row.spec) as Run['spec'],
    result: parseOrNull<HarnessResult>(row.result),
    verdict: row.verdict as Verdict | null,
    score: row.score,
    maxScore: row.max_score,
    error: row.error,
    attempts: row.attempts,
    cancelRequested: Boolean(row.cancel_requested),
    webhookUrl: row.webhook_url,
    webhookStatus: row.webhook_status as Run['webhookStatus'],
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
