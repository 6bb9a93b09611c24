import type {
  ImageDigests,
  LabCheckResult,
  LabTemplate,
  LabVersion,
  LabVersionRepository,
  LabVersionState,
} from '@aperture/core';
import type { Kysely, Selectable, Updateable } from 'kysely';
import { mapConflicts } from '../errors.ts';
import type { Database, LabVersionsTable } from '../schema.ts';
import { jsonOrNull, parseOrNull } from './json.ts';

type VersionPatch = Parameters<LabVersionRepository['setState']>[3];

export class KyselyLabVersionRepository implements LabVersionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** A version id is its content hash: the same id twice is the same checkpoint, kept as it was. */
  async insert(version: LabVersion): Promise<boolean> {
    const result = await mapConflicts(() =>
      this.db
        .insertInto('lab_versions')
        .values(toRow(version))
        .onConflict((oc) => oc.columns(['lab_id', 'id']).doNothing())
        .executeTakeFirst(),
    );
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  async get(labId: string, id: string): Promise<LabVersion | undefined> {
    const row = await this.db
      .selectFrom('lab_versions')
      .selectAll()
      .where('lab_id', '=', labId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async listByLab(labId: string): Promise<LabVersion[]> {
    const rows = await this.db
      .selectFrom('lab_versions')
      .selectAll()
      .where('lab_id', '=', labId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(fromRow);
  }

  /** One conditional UPDATE: of two replicas taking the same transition, exactly one applies. */
  async setState(
    labId: string,
    id: string,
    from: readonly LabVersionState[],
    patch: VersionPatch,
  ): Promise<boolean> {
    if (from.length === 0) return false;
    const result = await this.db
      .updateTable('lab_versions')
      .set(patchToRow(patch))
      .where('lab_id', '=', labId)
      .where('id', '=', id)
      .where('state', 'in', from)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async listChecking(): Promise<LabVersion[]> {
    const rows = await this.db
      .selectFrom('lab_versions')
      .selectAll()
      .where('state', '=', 'checking')
      .orderBy('created_at')
      .orderBy('lab_id')
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }
}

/** Only the fields the patch names; an explicit null clears one. */
function patchToRow(patch: VersionPatch): Updateable<LabVersionsTable> {
  const row: Updateable<LabVersionsTable> = { state: patch.state };
  if (patch.checkResults !== undefined) row.check_results = jsonOrNull(patch.checkResults);
  if (patch.snapshots !== undefined) row.snapshots = jsonOrNull(patch.snapshots);
  if (patch.checkedAt !== undefined) row.checked_at = patch.checkedAt;
  if (patch.publishedAt !== undefined) row.published_at = patch.publishedAt;
  return row;
}

function toRow(version: LabVersion): LabVersionsTable {
  return {
    lab_id: version.labId,
    id: version.id,
    template: JSON.stringify(version.template),
    images: JSON.stringify(version.images),
    state: version.state,
    check_results: jsonOrNull(version.checkResults),
    snapshots: jsonOrNull(version.snapshots),
    created_by: version.createdBy,
    created_at: version.createdAt,
    checked_at: version.checkedAt,
    published_at: version.publishedAt,
  };
}

function fromRow(row: Selectable<LabVersionsTable>): LabVersion {
  return {
    id: row.id,
    labId: row.lab_id,
    template: JSON.parse(row.template) as LabTemplate,
    images: JSON.parse(row.images) as ImageDigests,
    state: row.state as LabVersionState,
    checkResults: parseOrNull<LabCheckResult[]>(row.check_results),
    snapshots: parseOrNull<Record<string, string>>(row.snapshots),
    createdBy: row.created_by,
    createdAt: row.created_at,
    checkedAt: row.checked_at,
    publishedAt: row.published_at,
  };
}
