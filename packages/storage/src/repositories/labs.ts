import {
  ConflictError,
  type Lab,
  type LabRepository,
  type LabTemplate,
  type Timestamp,
} from '@aperture/core';
import type { Kysely, Selectable } from 'kysely';
import { conflictError, uniqueViolation } from '../errors.ts';
import type { Database, LabsTable } from '../schema.ts';

export class KyselyLabRepository implements LabRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(lab: Lab): Promise<void> {
    try {
      await this.db.insertInto('labs').values(toRow(lab)).execute();
    } catch (error) {
      throw nameConflict(error, lab) ?? error;
    }
  }

  async get(id: string): Promise<Lab | undefined> {
    const row = await this.db.selectFrom('labs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && fromRow(row);
  }

  async getByName(courseId: string, name: string): Promise<Lab | undefined> {
    const row = await this.db
      .selectFrom('labs')
      .selectAll()
      .where('course_id', '=', courseId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  /** By name: what an instructor scans for. */
  async listByCourse(courseId: string): Promise<Lab[]> {
    const rows = await this.db
      .selectFrom('labs')
      .selectAll()
      .where('course_id', '=', courseId)
      .orderBy('name')
      .execute();
    return rows.map(fromRow);
  }

  async updateDevTemplate(id: string, template: LabTemplate, at: Timestamp): Promise<void> {
    await this.db
      .updateTable('labs')
      .set({ dev_template: JSON.stringify(template), updated_at: at })
      .where('id', '=', id)
      .execute();
  }

  /**
   * One conditional DELETE: the check and the delete cannot be split by another statement of
   * ours. (A deployment inserted by a transaction still open elsewhere is not seen; callers
   * never deploy a lab they are deleting.)
   */
  async delete(id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('labs')
      .where('id', '=', id)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('lab_deployments')
              .select('lab_deployments.id')
              .whereRef('lab_deployments.lab_id', '=', 'labs.id')
              .where('lab_deployments.state', '<>', 'destroyed'),
          ),
        ),
      )
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

/** The (course, name) clash names the lab; any other unique clash gets the generic message. */
function nameConflict(error: unknown, lab: Lab): ConflictError | undefined {
  const violation = uniqueViolation(error);
  if (!violation) return undefined;
  if (violation.table !== 'labs' || violation.columns.join(',') !== 'course_id,name') {
    return conflictError(violation, error);
  }
  const conflict = new ConflictError(`A lab named "${lab.name}" already exists in this course.`, {
    table: 'labs',
    columns: violation.columns,
    name: lab.name,
  });
  conflict.cause = error;
  return conflict;
}

function toRow(lab: Lab): LabsTable {
  return {
    id: lab.id,
    course_id: lab.courseId,
    name: lab.name,
    dev_template: JSON.stringify(lab.devTemplate),
    created_by: lab.createdBy,
    created_at: lab.createdAt,
    updated_at: lab.updatedAt,
  };
}

function fromRow(row: Selectable<LabsTable>): Lab {
  return {
    id: row.id,
    courseId: row.course_id,
    name: row.name,
    devTemplate: JSON.parse(row.dev_template) as LabTemplate,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
