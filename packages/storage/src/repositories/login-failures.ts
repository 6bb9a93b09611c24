import type {
  LockSchedule,
  LoginFailureRecord,
  LoginFailureRepository,
  LoginReservation,
  ReservedAttempt,
  ThrottleKey,
  ThrottleKind,
} from '@aperture/core';
import { type Kysely, type RawBuilder, type Selectable, sql } from 'kysely';
import type { Database, LoginFailuresTable } from '../schema.ts';

export class KyselyLoginFailureRepository implements LoginFailureRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * One upsert, whatever the counter held: whether the attempt passes, the new count and its lock
   * are all computed by the database from the row it updates (every SET sees the old row, and
   * PostgreSQL's ON CONFLICT locks that row first), so concurrent reservations are decided one
   * after another, never on the same stale count.
   */
  async reserve(key: ThrottleKey, { at, forgetBefore, lock }: LoginReservation): Promise<ReservedAttempt> {
    const stale = sql<boolean>`login_failures.last_failure_at < ${forgetBefore}`;
    const locked = sql<boolean>`(not (${stale}) and login_failures.locked_until is not null
      and login_failures.locked_until > ${at})`;
    const counted = sql<number>`(case when ${stale} then 1 else login_failures.failures + 1 end)`;
    const row = await this.db
      .insertInto('login_failures')
      .values({
        kind: key.kind,
        key: key.key,
        failures: 1,
        first_failure_at: at,
        last_failure_at: at,
        locked_until: lockFor(lock, 1),
        last_refused: 0,
      })
      .onConflict((conflict) =>
        conflict.columns(['kind', 'key']).doUpdateSet({
          failures: sql<number>`(case when ${locked} then login_failures.failures else ${counted} end)`,
          first_failure_at: sql<string>`(case when ${stale} then ${at} else login_failures.first_failure_at end)`,
          last_failure_at: sql<string>`(case when ${locked} then login_failures.last_failure_at else ${at} end)`,
          locked_until: sql<
            string | null
          >`(case when ${locked} then login_failures.locked_until else ${lockedUntil(counted, lock)} end)`,
          last_refused: sql<number>`(case when ${locked} then 1 else 0 end)`,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return { allowed: Number(row.last_refused) === 0, record: fromRow(row) };
  }

  /** One update: the count less one, and the lock the schedule names for that count. */
  async release({ kind, key }: ThrottleKey, lock: LockSchedule): Promise<void> {
    const lower = sql<number>`(login_failures.failures - 1)`;
    await this.db
      .updateTable('login_failures')
      .set({ failures: lower, locked_until: lockedUntil(lower, lock) })
      .where('kind', '=', kind)
      .where('key', '=', key)
      .where('failures', '>', 0)
      .execute();
  }

  async find(keys: readonly ThrottleKey[]): Promise<LoginFailureRecord[]> {
    if (keys.length === 0) return [];
    const rows = await this.db
      .selectFrom('login_failures')
      .selectAll()
      .where((eb) => eb.or(keys.map(({ kind, key }) => eb.and({ kind, key }))))
      .orderBy('kind')
      .orderBy('key')
      .execute();
    return rows.map(fromRow);
  }

  async clear({ kind, key }: ThrottleKey): Promise<void> {
    await this.db.deleteFrom('login_failures').where('kind', '=', kind).where('key', '=', key).execute();
  }

  async deleteStale(before: string): Promise<number> {
    const result = await this.db
      .deleteFrom('login_failures')
      .where('last_failure_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** The schedule's lock for a known count (a new counter's first attempt). */
function lockFor(lock: LockSchedule, failures: number): string | null {
  if (failures < lock.from) return null;
  return lock.until[Math.min(failures - lock.from, lock.until.length - 1)] ?? null;
}

/** The same choice made in SQL, on the count the database computes. */
function lockedUntil(failures: RawBuilder<number>, lock: LockSchedule): RawBuilder<string | null> {
  const last = lock.until.at(-1);
  if (last === undefined) return sql<null>`null`;
  const steps = lock.until.map((until, i) => sql`when ${lock.from + i} then ${until}`);
  return sql<string | null>`(case when ${failures} < ${lock.from} then null
    else (case ${failures} ${sql.join(steps, sql` `)} else ${last} end) end)`;
}

function fromRow(row: Selectable<LoginFailuresTable>): LoginFailureRecord {
  return {
    kind: row.kind as ThrottleKind,
    key: row.key,
    failures: Number(row.failures),
    firstFailureAt: row.first_failure_at,
    lastFailureAt: row.last_failure_at,
    lockedUntil: row.locked_until,
  };
}
