import type { Course, CourseRepository, CourseRole } from '@aperture/core';
import type { Kysely, Selectable } from 'kysely';
import { mapConflicts } from '../errors.ts';
import type { CoursesTable, Database } from '../schema.ts';

export class KyselyCourseRepository implements CourseRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(course: Course): Promise<void> {
    await mapConflicts(() => this.db.insertInto('courses').values(toRow(course)).execute());
  }

  async get(id: string): Promise<Course | undefined> {
    const row = await this.db.selectFrom('courses').selectAll().where('id', '=', id).executeTakeFirst();
    return row && fromRow(row);
  }

  async getByCode(code: string): Promise<Course | undefined> {
    const row = await this.db.selectFrom('courses').selectAll().where('code', '=', code).executeTakeFirst();
    return row && fromRow(row);
  }

  async list(): Promise<Course[]> {
    const rows = await this.db.selectFrom('courses').selectAll().orderBy('code').execute();
    return rows.map(fromRow);
  }

  async listForUser(userId: string): Promise<Array<Course & { role: CourseRole }>> {
    const rows = await this.db
      .selectFrom('courses')
      .innerJoin('enrollments', 'enrollments.course_id', 'courses.id')
      .selectAll('courses')
      .select('enrollments.role')
      .where('enrollments.user_id', '=', userId)
      .orderBy('courses.code')
      .execute();
    return rows.map((row) => ({ ...fromRow(row), role: row.role as CourseRole }));
  }
}

function toRow(course: Course): CoursesTable {
  return { id: course.id, code: course.code, title: course.title, created_at: course.createdAt };
}

function fromRow(row: Selectable<CoursesTable>): Course {
  return { id: row.id, code: row.code, title: row.title, createdAt: row.created_at };
}
