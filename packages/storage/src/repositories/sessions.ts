import type { Session, SessionRepository, Timestamp } from '@aperture/core';
import type { Kysely, Selectable } from 'kysely';
import { mapConflicts } from '../errors.ts';
import type { Database, SessionsTable } from '../schema.ts';

export class KyselySessionRepository implements SessionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(session: Session): Promise<void> {
    await mapConflicts(() => this.db.insertInto('sessions').values(toRow(session)).execute());
  }

  async get(idHash: string): Promise<Session | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
  }

  /** A session is expired from its `expiresAt` on: the same instant `now` is no longer valid. */
  async deleteExpired(now: Timestamp): Promise<number> {
    const result = await this.db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toRow(session: Session): SessionsTable {
  return {
    id_hash: session.idHash,
    user_id: session.userId,
    created_at: session.createdAt,
    expires_at: session.expiresAt,
  };
}

function fromRow(row: Selectable<SessionsTable>): Session {
  return {
    idHash: row.id_hash,
    userId: row.user_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
