import type {
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
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import { mapConflicts } from '../errors.ts';
import type { Database, RunsTable } from '../schema.ts';
import { jsonOrNull, parseOrNull } from './json.ts';

const ALL_STATUSES: readonly RunStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled'];

/**
 * Every state change is one conditional UPDATE (`WHERE status = …`), so two dispatchers, or a
 * dispatcher and a cancel, can race on a run and exactly one of them wins on either database.
 */
export class KyselyRunRepository implements RunRepository {
  constructor(private readonly db: Kysely<Database>) {}

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

  async listQueued(limit: number): Promise<QueuedRunRef[]> {
    const rows = await this.db
      .selectFrom('runs')
      .select(['id', 'user_id', 'course_id', 'created_at'])
      .where('status', '=', 'queued')
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

  async countQueuedByUser(userId: string): Promise<number> {
    const row = await this.db
      .selectFrom('runs')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('user_id', '=', userId)
      .where('status', '=', 'queued')
      .executeTakeFirstOrThrow();
    return Number(row.n);
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
