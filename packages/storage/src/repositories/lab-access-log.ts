import type { LabAccessKind, LabAccessLogRepository, LabAccessRecord } from '@aperture/core';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';

export class KyselyLabAccessLogRepository implements LabAccessLogRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(record: LabAccessRecord): Promise<void> {
    await this.db
      .insertInto('lab_access_log')
      .values({
        id: record.id,
        deployment_id: record.deploymentId,
        user_id: record.userId,
        viewer_id: record.viewerId,
        component: record.component,
        kind: record.kind,
        at: record.at,
      })
      .execute();
  }

  async listByCopy(deploymentId: string, userId: string, limit: number) {
    const rows = await this.db
      .selectFrom('lab_access_log')
      .innerJoin('users', 'users.id', 'lab_access_log.viewer_id')
      .selectAll('lab_access_log')
      .select(['users.username', 'users.display_name'])
      .where('lab_access_log.deployment_id', '=', deploymentId)
      .where('lab_access_log.user_id', '=', userId)
      .orderBy('lab_access_log.at', 'desc')
      .orderBy('lab_access_log.id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      deploymentId: row.deployment_id,
      userId: row.user_id,
      viewerId: row.viewer_id,
      component: row.component,
      kind: row.kind as LabAccessKind,
      at: row.at,
      viewerUsername: row.username,
      viewerName: row.display_name,
    }));
  }
}
