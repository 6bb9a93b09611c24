import type { Assignment, AssignmentRepository } from '@aperture/core';
import type { Kysely, Selectable } from 'kysely';
import { mapConflicts } from '../errors.ts';
import type { AssignmentsTable, Database } from '../schema.ts';
import { jsonOrNull, parseOrNull } from './json.ts';

export class KyselyAssignmentRepository implements AssignmentRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(assignment: Assignment): Promise<void> {
    await mapConflicts(() => this.db.insertInto('assignments').values(toRow(assignment)).execute());
  }

  async get(id: string): Promise<Assignment | undefined> {
    const row = await this.db.selectFrom('assignments').selectAll().where('id', '=', id).executeTakeFirst();
    return row && fromRow(row);
  }

  async getBySlug(courseId: string, slug: string): Promise<Assignment | undefined> {
    const row = await this.db
      .selectFrom('assignments')
      .selectAll()
      .where('course_id', '=', courseId)
      .where('slug', '=', slug)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async listByCourse(courseId: string): Promise<Assignment[]> {
    const rows = await this.db
      .selectFrom('assignments')
      .selectAll()
      .where('course_id', '=', courseId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }

  /** Replaces everything but the identity: id, course and creation time never change. */
  async update(assignment: Assignment): Promise<void> {
    const { id: _id, course_id: _course, created_at: _created, ...changes } = toRow(assignment);
    await mapConflicts(() =>
      this.db.updateTable('assignments').set(changes).where('id', '=', assignment.id).execute(),
    );
  }
}

function toRow(assignment: Assignment): AssignmentsTable {
  return {
    id: assignment.id,
    course_id: assignment.courseId,
    slug: assignment.slug,
    title: assignment.title,
    statement: assignment.statement,
    languages: JSON.stringify(assignment.languages),
    tests: JSON.stringify(assignment.tests),
    limits: JSON.stringify(assignment.limits),
    deadline: assignment.deadline,
    submission_limit: jsonOrNull(assignment.submissionLimit),
    support_files: JSON.stringify(assignment.supportFiles),
    autograder: jsonOrNull(assignment.autograder),
    created_at: assignment.createdAt,
    updated_at: assignment.updatedAt,
  };
}

/** The one place this table's JSON columns are parsed; they were written by toRow. */
function fromRow(row: Selectable<AssignmentsTable>): Assignment {
  return {
    id: row.id,
    courseId: row.course_id,
    slug: row.slug,
    title: row.title,
    statement: row.statement,
    languages: JSON.parse(row.languages) as Assignment['languages'],
    tests: JSON.parse(row.tests) as Assignment['tests'],
    limits: JSON.parse(row.limits) as Assignment['limits'],
    deadline: row.deadline,
    submissionLimit: parseOrNull<Assignment['submissionLimit']>(row.submission_limit),
    supportFiles: JSON.parse(row.support_files) as Assignment['supportFiles'],
    autograder: parseOrNull<Assignment['autograder']>(row.autograder),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
