import type {
  LockSchedule,
  LoginFailure,
  LoginFailureRecord,
  LoginFailureRepository,
  ThrottleKey,
  ThrottleKind,
} from '@aperture/core';
import { type Kysely, type RawBuilder, type Selectable, sql } from 'kysely';
import type { Database, LoginFailuresTable } from '../schema.ts';

export class KyselyLoginFailureRepository implements LoginFailureRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * One upsert, whatever the counter held: the new count and its lock are computed by the database
   * from the row it updates (every SET sees the old row), so concurrent failures never overwrite
   * each other's count.
   */
  async recordFailure(key: ThrottleKey, { at, forgetBefore, lock }: LoginFailure) {
    const stale = sql<boolean>`login_failures.last_failure_at < ${forgetBefore}`;
    const failures = sql<number>`(case when ${stale} then 1 else login_failures.failures + 1 end)`;
    const row = await this.db
      .insertInto('login_failures')
      .values({
        kind: key.kind,
        key: key.key,
        failures: 1,
        first_failure_at: at,
        last_failure_at: at,
        locked_until: lockFor(lock, 1),
      })
      .onConflict((conflict) =>
        conflict.columns(['kind', 'key']).doUpdateSet({
          failures,
          first_failure_at: sql<string>`(case when ${stale} then ${at} else login_failures.first_failure_at end)`,
          last_failure_at: at,
          locked_until: lockedUntil(failures, lock),
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return fromRow(row);
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

/** The schedule's lock for a known count (a new counter's first failure). */
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
