import type { GlobalRole, User, UserRepository } from '@aperture/core';
import type { Kysely, Selectable } from 'kysely';
import { mapConflicts } from '../errors.ts';
import type { Database, UsersTable } from '../schema.ts';

type UserPatch = Parameters<UserRepository['update']>[1];

export class KyselyUserRepository implements UserRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(user: User): Promise<void> {
    await mapConflicts(() => this.db.insertInto('users').values(toRow(user)).execute());
  }

  async get(id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && fromRow(row);
  }

  async getByUsername(username: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async list(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('username').execute();
    return rows.map(fromRow);
  }

  async update(id: string, patch: UserPatch): Promise<void> {
    const changes = patchToRow(patch);
    if (Object.keys(changes).length === 0) return;
    await this.db.updateTable('users').set(changes).where('id', '=', id).execute();
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

function toRow(user: User): UsersTable {
  return {
    id: user.id,
    username: user.username,
    display_name: user.displayName,
    email: user.email,
    role: user.role,
    password_hash: user.passwordHash,
    created_at: user.createdAt,
  };
}

function fromRow(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    role: row.role as GlobalRole,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
  };
}

/** Only the keys present in the patch: `undefined` means "leave alone", `null` means "clear". */
function patchToRow(patch: UserPatch): Partial<UsersTable> {
  const row: Partial<UsersTable> = {};
  if (patch.displayName !== undefined) row.display_name = patch.displayName;
  if (patch.email !== undefined) row.email = patch.email;
  if (patch.role !== undefined) row.role = patch.role;
  if (patch.passwordHash !== undefined) row.password_hash = patch.passwordHash;
  return row;
}
