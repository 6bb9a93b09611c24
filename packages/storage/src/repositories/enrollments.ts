import type { CourseRole, Enrollment, EnrollmentRepository } from '@aperture/core';
import type { Kysely, Selectable } from 'kysely';
import { mapConflicts } from '../errors.ts';
import type { Database, EnrollmentsTable } from '../schema.ts';

type EnrollmentWithUser = Enrollment & { username: string; displayName: string };

export class KyselyEnrollmentRepository implements EnrollmentRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** On a second enrollment only the role changes: `createdAt` keeps the first enrollment's time. */
  async upsert(enrollment: Enrollment): Promise<void> {
    await mapConflicts(() =>
      this.db
        .insertInto('enrollments')
        .values(toRow(enrollment))
        .onConflict((oc) =>
          oc.columns(['course_id', 'user_id']).doUpdateSet((eb) => ({ role: eb.ref('excluded.role') })),
        )
        .execute(),
    );
  }

  async get(courseId: string, userId: string): Promise<Enrollment | undefined> {
    const row = await this.db
      .selectFrom('enrollments')
      .selectAll()
      .where('course_id', '=', courseId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async listByCourse(courseId: string): Promise<EnrollmentWithUser[]> {
    const rows = await this.db
      .selectFrom('enrollments')
      .innerJoin('users', 'users.id', 'enrollments.user_id')
      .selectAll('enrollments')
      .select(['users.username', 'users.display_name'])
      .where('enrollments.course_id', '=', courseId)
      .orderBy('users.username')
      .execute();
    return rows.map((row) => ({ ...fromRow(row), username: row.username, displayName: row.display_name }));
  }

  async delete(courseId: string, userId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('enrollments')
      .where('course_id', '=', courseId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function toRow(enrollment: Enrollment): EnrollmentsTable {
  return {
    course_id: enrollment.courseId,
    user_id: enrollment.userId,
    role: enrollment.role,
    created_at: enrollment.createdAt,
  };
}

function fromRow(row: Selectable<EnrollmentsTable>): Enrollment {
  return {
    courseId: row.course_id,
    userId: row.user_id,
    role: row.role as CourseRole,
    createdAt: row.created_at,
  };
}
