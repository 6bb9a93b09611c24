import type { Store } from '@aperture/core';
import { expect, it } from 'vitest';
import { createStore, openAtMigration } from '../create-store.ts';
import type { TestDatabases, TestDialect } from '../test-support/databases.ts';
import { aCourse, aRun, aUser } from '../test-support/fixtures.ts';
import { aLab } from '../test-support/lab-fixtures.ts';

export function storeContract(dbs: TestDatabases, dialect: TestDialect): void {
  it('names its dialect and answers a ping', async () => {
    const store = await dbs.openFresh();
    expect(store.dialect).toBe(dialect);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('commits a transaction and returns what the work returned', async () => {
    const store = await dbs.openFresh();
    const user = aUser();
    const course = aCourse();
    const result = await store.transaction(async (tx) => {
      await tx.users.insert(user);
      await tx.courses.insert(course);
      await tx.enrollments.upsert({
        courseId: course.id,
        userId: user.id,
        role: 'instructor',
        createdAt: course.createdAt,
      });
      return tx.users.count();
    });
    expect(result).toBe(1);
    expect(await store.courses.listForUser(user.id)).toEqual([{ ...course, role: 'instructor' }]);
  });

  it('rolls back every write when the work throws', async () => {
    const store = await dbs.openFresh();
    const kept = aUser();
    await store.users.insert(kept);
    const failing = store.transaction(async (tx) => {
      await tx.users.insert(aUser());
      await tx.courses.insert(aCourse());
      await tx.runs.insert(aRun(kept.id));
      throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    expect(await store.users.count()).toBe(1);
    expect(await store.courses.list()).toEqual([]);
    expect(await store.runs.list({})).toEqual([]);
  });

  it('rolls back on a conflict inside a transaction and surfaces the ConflictError', async () => {
    const store = await dbs.openFresh();
    await store.users.insert(aUser({ username: 'taken' }));
    const failing = store.transaction(async (tx) => {
      await tx.courses.insert(aCourse());
      await tx.users.insert(aUser({ username: 'taken' }));
    });
    await expect(failing).rejects.toMatchObject({ code: 'conflict' });
    expect(await store.courses.list()).toEqual([]);
  });

  it('joins the outer transaction when transaction is called inside one', async () => {
    const store = await dbs.openFresh();
    const failing = store.transaction(async (tx) => {
      await tx.transaction((inner) => inner.users.insert(aUser()));
      throw new Error('outer fails');
    });
    await expect(failing).rejects.toThrow('outer fails');
    expect(await store.users.count()).toBe(0);
  });

  it('applies migrations once: a second createStore on the same database keeps the data', async () => {
    const config = await dbs.fresh();
    const first = await dbs.open(config);
    const user = aUser();
    await first.users.insert(user);
    await first.close();
    const second: Store = await dbs.open(config);
    const third: Store = await dbs.open(config);
    expect(await second.users.get(user.id)).toEqual(user);
    expect(await third.users.count()).toBe(1);
  });

  it('upgrades a database an older release left at 0001, keeping its rows', async () => {
    const config = await dbs.fresh();
    const old = await openAtMigration(config, '0001-initial');
    const [user, course] = [aUser(), aCourse()];
    await old
      .insertInto('users')
      .values({
        id: user.id,
        username: user.username,
        display_name: user.displayName,
        email: user.email,
        role: user.role,
        password_hash: user.passwordHash,
        created_at: user.createdAt,
      })
      .execute();
    await old
      .insertInto('courses')
      .values({ id: course.id, code: course.code, title: course.title, created_at: course.createdAt })
      .execute();
    await old.destroy();
    const logged: unknown[] = [];
    const logger = { info: (obj: object) => logged.push(obj), warn() {}, error() {}, debug() {} };
    const store = await createStore({ ...config, logger });
    try {
      expect(logged).toEqual([
        { dialect, applied: ['0002-labs', '0003-lab-access-log', '0004-login-failures'] },
      ]);
      expect(await store.users.get(user.id)).toEqual(user);
      const lab = aLab(course.id, user.id);
      await store.labs.insert(lab);
      expect(await store.labs.listByCourse(course.id)).toEqual([lab]);
    } finally {
      await store.close();
    }
  });
}
