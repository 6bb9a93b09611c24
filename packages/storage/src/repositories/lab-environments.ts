import type {
  LabEnvironment,
  LabEnvironmentRepository,
  LabEnvironmentState,
  Timestamp,
} from '@aperture/core';
import type { Kysely, Selectable, Updateable } from 'kysely';
import { mapConflicts } from '../errors.ts';
import type { Database, LabEnvironmentsTable } from '../schema.ts';

type EnvironmentPatch = Parameters<LabEnvironmentRepository['update']>[2];
type EnvironmentCondition = NonNullable<Parameters<LabEnvironmentRepository['update']>[3]>;

export class KyselyLabEnvironmentRepository implements LabEnvironmentRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The reconciler and a deploy may add the same student at once: the first row stays. */
  async insertIfMissing(environment: LabEnvironment): Promise<boolean> {
    const result = await mapConflicts(() =>
      this.db
        .insertInto('lab_environments')
        .values(toRow(environment))
        .onConflict((oc) => oc.columns(['deployment_id', 'user_id']).doNothing())
        .executeTakeFirst(),
    );
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  async get(deploymentId: string, userId: string): Promise<LabEnvironment | undefined> {
    const row = await this.db
      .selectFrom('lab_environments')
      .selectAll()
      .where('deployment_id', '=', deploymentId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  /** By username, every state included: the deployment page lists removed copies too. */
  async listByDeployment(deploymentId: string): Promise<Array<LabEnvironment & { username: string }>> {
    const rows = await this.db
      .selectFrom('lab_environments')
      .innerJoin('users', 'users.id', 'lab_environments.user_id')
      .selectAll('lab_environments')
      .select('users.username')
      .where('lab_environments.deployment_id', '=', deploymentId)
      .orderBy('users.username')
      .execute();
    return rows.map((row) => ({ ...fromRow(row), username: row.username }));
  }

  async listByUser(userId: string): Promise<LabEnvironment[]> {
    const rows = await this.db
      .selectFrom('lab_environments')
      .innerJoin('lab_deployments', 'lab_deployments.id', 'lab_environments.deployment_id')
      .selectAll('lab_environments')
      .where('lab_environments.user_id', '=', userId)
      .where('lab_environments.state', '<>', 'removed')
      .orderBy('lab_deployments.created_at', 'desc')
      .orderBy('lab_deployments.id', 'desc')
      .execute();
    return rows.map(fromRow);
  }

  /** One UPDATE whose WHERE carries the expected state and last use: racing writers cannot both apply. */
  async update(
    deploymentId: string,
    userId: string,
    patch: EnvironmentPatch,
    when: EnvironmentCondition = {},
  ): Promise<boolean> {
    if (when.from?.length === 0) return false;
    let query = this.db
      .updateTable('lab_environments')
      .set(patchToRow(patch))
      .where('deployment_id', '=', deploymentId)
      .where('user_id', '=', userId);
    if (when.from) query = query.where('state', 'in', [...when.from]);
    if (when.lastAccessAt !== undefined)
      query =
        when.lastAccessAt === null
          ? query.where('last_access_at', 'is', null)
          : query.where('last_access_at', '=', when.lastAccessAt);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Every copy, whatever its state; returns how many rows there were. */
  async setStateForDeployment(
    deploymentId: string,
    state: LabEnvironmentState,
    at: Timestamp,
  ): Promise<number> {
    const result = await this.db
      .updateTable('lab_environments')
      .set({ state, updated_at: at })
      .where('deployment_id', '=', deploymentId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}

/** Only the fields the patch names; an explicit null clears one. */
function patchToRow(patch: EnvironmentPatch): Updateable<LabEnvironmentsTable> {
  const row: Updateable<LabEnvironmentsTable> = { updated_at: patch.updatedAt };
  if (patch.state !== undefined) row.state = patch.state;
  if (patch.environment !== undefined) row.environment = patch.environment;
  if (patch.attempts !== undefined) row.attempts = patch.attempts;
  if (patch.error !== undefined) row.error = patch.error;
  if (patch.lastAccessAt !== undefined) row.last_access_at = patch.lastAccessAt;
  return row;
}

function toRow(environment: LabEnvironment): LabEnvironmentsTable {
  return {
    deployment_id: environment.deploymentId,
    user_id: environment.userId,
    state: environment.state,
    environment: environment.environment,
    attempts: environment.attempts,
    error: environment.error,
    last_access_at: environment.lastAccessAt,
    created_at: environment.createdAt,
    updated_at: environment.updatedAt,
  };
}

function fromRow(row: Selectable<LabEnvironmentsTable>): LabEnvironment {
  return {
    deploymentId: row.deployment_id,
    userId: row.user_id,
    state: row.state as LabEnvironmentState,
    environment: row.environment,
    attempts: row.attempts,
    error: row.error,
    lastAccessAt: row.last_access_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
