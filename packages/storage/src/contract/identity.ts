import { ConflictError } from '@aperture/core';
import { expect, it } from 'vitest';
import type { TestDatabases } from '../test-support/databases.ts';
import { aSession, aToken, at, aUser } from '../test-support/fixtures.ts';

export function userContract(dbs: TestDatabases): void {
  it('inserts, reads back, lists and counts users', async () => {
    const store = await dbs.openFresh();
    const bob = aUser({ username: 'bob', email: null, passwordHash: null });
    const alice = aUser({ username: 'alice', role: 'admin' });
    await store.users.insert(bob);
    await store.users.insert(alice);
    expect(await store.users.get(bob.id)).toEqual(bob);
    expect(await store.users.getByUsername('alice')).toEqual(alice);
    expect(await store.users.get('nobody')).toBeUndefined();
    expect(await store.users.getByUsername('nobody')).toBeUndefined();
    expect((await store.users.list()).map((u) => u.username)).toEqual(['alice', 'bob']);
    expect(await store.users.count()).toBe(2);
  });

  it('updates only the fields in the patch, and null clears', async () => {
    const store = await dbs.openFresh();
    const user = aUser();
    await store.users.insert(user);
    await store.users.update(user.id, { displayName: 'New Name', email: null });
    await store.users.update(user.id, {});
    await store.users.update(user.id, { role: 'staff', passwordHash: 'other' });
    expect(await store.users.get(user.id)).toEqual({
      ...user,
      displayName: 'New Name',
      email: null,
      role: 'staff',
      passwordHash: 'other',
    });
  });

  it('rejects a second user with the same username as a ConflictError', async () => {
    const store = await dbs.openFresh();
    await store.users.insert(aUser({ username: 'carol' }));
    const clash = store.users.insert(aUser({ username: 'carol' }));
    await expect(clash).rejects.toBeInstanceOf(ConflictError);
    await expect(clash).rejects.toThrow(/username/);
    await expect(clash).rejects.toMatchObject({
      code: 'conflict',
      details: { table: 'users', columns: ['username'] },
    });
  });
}

export function tokenContract(dbs: TestDatabases): void {
  it('stores tokens, finds them by hash, touches and deletes them per user', async () => {
    const store = await dbs.openFresh();
    const [owner, other] = [aUser(), aUser()];
    await store.users.insert(owner);
    await store.users.insert(other);
    const first = aToken(owner.id, { createdAt: at(1), expiresAt: at(100) });
    const second = aToken(owner.id, { createdAt: at(2) });
    await store.tokens.insert(second);
    await store.tokens.insert(first);
    expect(await store.tokens.getByHash(first.tokenHash)).toEqual(first);
    expect(await store.tokens.getByHash('nope')).toBeUndefined();
    expect(await store.tokens.listByUser(owner.id)).toEqual([first, second]);
    await store.tokens.touch(first.id, at(7));
    expect((await store.tokens.getByHash(first.tokenHash))?.lastUsedAt).toBe(at(7));
    expect(await store.tokens.delete(first.id, other.id)).toBe(false);
    expect(await store.tokens.delete(first.id, owner.id)).toBe(true);
    expect(await store.tokens.delete(first.id, owner.id)).toBe(false);
    expect(await store.tokens.listByUser(owner.id)).toEqual([second]);
  });

  it('rejects a duplicate token hash as a ConflictError', async () => {
    const store = await dbs.openFresh();
    const user = aUser();
    await store.users.insert(user);
    await store.tokens.insert(aToken(user.id, { tokenHash: 'same' }));
    const clash = store.tokens.insert(aToken(user.id, { tokenHash: 'same' }));
    await expect(clash).rejects.toBeInstanceOf(ConflictError);
    await expect(clash).rejects.toThrow(/token/);
  });
}

export function sessionContract(dbs: TestDatabases): void {
  it('stores, reads and deletes sessions', async () => {
    const store = await dbs.openFresh();
    const user = aUser();
    await store.users.insert(user);
    const session = aSession(user.id);
    await store.sessions.insert(session);
    expect(await store.sessions.get(session.idHash)).toEqual(session);
    await store.sessions.delete(session.idHash);
    expect(await store.sessions.get(session.idHash)).toBeUndefined();
    await store.sessions.delete(session.idHash);
  });

  it('deletes sessions expired at or before now and counts them', async () => {
    const store = await dbs.openFresh();
    const user = aUser();
    await store.users.insert(user);
    const [old, edge, live] = [at(5), at(10), at(11)].map((expiresAt) => aSession(user.id, { expiresAt }));
    for (const session of [old, edge, live]) await store.sessions.insert(session!);
    expect(await store.sessions.deleteExpired(at(10))).toBe(2);
    expect(await store.sessions.get(live!.idHash)).toEqual(live);
    expect(await store.sessions.get(edge!.idHash)).toBeUndefined();
    expect(await store.sessions.deleteExpired(at(10))).toBe(0);
  });
}
