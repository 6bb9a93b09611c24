import type {
  LabDeployment,
  LabDeploymentKind,
  LabDeploymentRepository,
  LabDeploymentState,
  LabTeardownSummary,
} from '@aperture/core';
import type { Kysely, Selectable, Updateable } from 'kysely';
import { mapConflicts } from '../errors.ts';
import type { Database, LabDeploymentsTable } from '../schema.ts';
import { jsonOrNull, parseOrNull } from './json.ts';

type DeploymentPatch = Parameters<LabDeploymentRepository['setState']>[2];

export class KyselyLabDeploymentRepository implements LabDeploymentRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(deployment: LabDeployment): Promise<void> {
    await mapConflicts(() => this.db.insertInto('lab_deployments').values(toRow(deployment)).execute());
  }

  async get(id: string): Promise<LabDeployment | undefined> {
    const row = await this.db
      .selectFrom('lab_deployments')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  /** Newest first, destroyed ones included: the lab page's history. */
  async listByLab(labId: string): Promise<LabDeployment[]> {
    const rows = await this.db
      .selectFrom('lab_deployments')
      .selectAll()
      .where('lab_id', '=', labId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(fromRow);
  }

  /** Oldest first. */
  async listActiveByCourse(courseId: string): Promise<LabDeployment[]> {
    const rows = await this.db
      .selectFrom('lab_deployments')
      .selectAll()
      .where('course_id', '=', courseId)
      .where('state', '<>', 'destroyed')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }

  /** Oldest first. */
  async listLive(): Promise<LabDeployment[]> {
    const rows = await this.db
      .selectFrom('lab_deployments')
      .selectAll()
      .where('state', '<>', 'destroyed')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }

  /** One conditional UPDATE: of two replicas taking the same transition, exactly one applies. */
  async setState(id: string, from: readonly LabDeploymentState[], patch: DeploymentPatch): Promise<boolean> {
    if (from.length === 0) return false;
    const result = await this.db
      .updateTable('lab_deployments')
      .set(patchToRow(patch))
      .where('id', '=', id)
      .where('state', 'in', from)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

/** Only the fields the patch names; an explicit null clears one. */
function patchToRow(patch: DeploymentPatch): Updateable<LabDeploymentsTable> {
  const row: Updateable<LabDeploymentsTable> = { state: patch.state, updated_at: patch.updatedAt };
  if (patch.teardown !== undefined) row.teardown = jsonOrNull(patch.teardown);
  if (patch.versionId !== undefined) row.version_id = patch.versionId;
  if (patch.expiresAt !== undefined) row.expires_at = patch.expiresAt;
  return row;
}

function toRow(deployment: LabDeployment): LabDeploymentsTable {
  return {
    id: deployment.id,
    lab_id: deployment.labId,
    course_id: deployment.courseId,
    kind: deployment.kind,
    version_id: deployment.versionId,
    state: deployment.state,
    created_by: deployment.createdBy,
    created_at: deployment.createdAt,
    updated_at: deployment.updatedAt,
    expires_at: deployment.expiresAt,
    teardown: jsonOrNull(deployment.teardown),
  };
}

function fromRow(row: Selectable<LabDeploymentsTable>): LabDeployment {
  return {
    id: row.id,
    labId: row.lab_id,
    courseId: row.course_id,
    kind: row.kind as LabDeploymentKind,
    versionId: row.version_id,
    state: row.state as LabDeploymentState,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    teardown: parseOrNull<LabTeardownSummary>(row.teardown),
  };
}
