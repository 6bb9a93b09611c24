import { ConflictError, type Run, type Store } from '@aperture/core';
import { expect, it } from 'vitest';
import type { TestDatabases } from '../test-support/databases.ts';
import { aCompletion, aResult, aRun, at, aUser, seedCourse } from '../test-support/fixtures.ts';

async function withUser(dbs: TestDatabases): Promise<{ store: Store; userId: string }> {
  const store = await dbs.openFresh();
  const user = aUser();
  await store.users.insert(user);
  return { store, userId: user.id };
}

async function insertRun(store: Store, run: Run): Promise<Run> {
  await store.runs.insert(run);
  return run;
}

export function runStorageContract(dbs: TestDatabases): void {
  it('round-trips a run with files, a result and every optional field', async () => {
    const { store, userId } = await withUser(dbs);
    const queued = await insertRun(
      store,
      aRun(userId, { webhookUrl: 'https://hook.test/x', webhookStatus: 'pending' }),
    );
    expect(await store.runs.get(queued.id)).toEqual(queued);
    const done = aRun(userId, {
      status: 'completed',
      result: aResult(),
      verdict: 'accepted',
      score: 1.5,
      maxScore: 2.5,
      error: 'first attempt lost',
      attempts: 2,
      cancelRequested: true,
      startedAt: at(1),
      finishedAt: at(2),
    });
    await store.runs.insert(done);
    expect(await store.runs.get(done.id)).toEqual(done);
    expect(await store.runs.get('missing')).toBeUndefined();
  });

  it('rejects a duplicate run id as a ConflictError', async () => {
    const { store, userId } = await withUser(dbs);
    const run = await insertRun(store, aRun(userId));
    await expect(store.runs.insert(run)).rejects.toBeInstanceOf(ConflictError);
  });

  it('lists runs newest first, by user, assignment, course and kind, with a limit', async () => {
    const store = await dbs.openFresh();
    const { user, course, assignment } = await seedCourse(store);
    const other = aUser();
    await store.users.insert(other);
    const submission = { kind: 'submission' as const, courseId: course.id, assignmentId: assignment.id };
    const r1 = await insertRun(store, aRun(user.id, { createdAt: at(1) }));
    const r2 = await insertRun(store, aRun(user.id, { ...submission, createdAt: at(2) }));
    const r3 = await insertRun(store, aRun(other.id, { ...submission, createdAt: at(3) }));
    const ids = async (filter: Parameters<Store['runs']['list']>[0]) =>
      (await store.runs.list(filter)).map((r) => r.id);
    expect(await ids({})).toEqual([r3.id, r2.id, r1.id]);
    expect(await ids({ userId: user.id })).toEqual([r2.id, r1.id]);
    expect(await ids({ assignmentId: assignment.id })).toEqual([r3.id, r2.id]);
    expect(await ids({ courseId: course.id, userId: other.id })).toEqual([r3.id]);
    expect(await ids({ kind: 'adhoc' })).toEqual([r1.id]);
    expect(await ids({ limit: 2 })).toEqual([r3.id, r2.id]);
    expect((await store.runs.list({ userId: user.id }))[1]).toEqual(r1);
  });

  it('lists queued runs oldest first, as references, up to the limit', async () => {
    const { store, userId } = await withUser(dbs);
    const late = await insertRun(store, aRun(userId, { createdAt: at(3) }));
    const early = await insertRun(store, aRun(userId, { createdAt: at(1) }));
    await insertRun(store, aRun(userId, { createdAt: at(0), status: 'completed' }));
    const middle = await insertRun(store, aRun(userId, { createdAt: at(2) }));
    expect(await store.runs.listQueued(10)).toEqual(
      [early, middle, late].map((r) => ({ id: r.id, userId, courseId: null, createdAt: r.createdAt })),
    );
    expect((await store.runs.listQueued(1)).map((r) => r.id)).toEqual([early.id]);
  });

  it('lists at most `perUser` queued runs of each user, so one flood cannot fill the limit', async () => {
    const { store, userId: flood } = await withUser(dbs);
    const other = aUser();
    await store.users.insert(other);
    const floods = [];
    for (let minute = 0; minute < 5; minute++)
      floods.push(await insertRun(store, aRun(flood, { createdAt: at(minute) })));
    const late = await insertRun(store, aRun(other.id, { createdAt: at(9) }));
    expect((await store.runs.listQueued(3)).map((r) => r.id)).toEqual(floods.slice(0, 3).map((r) => r.id));
    expect((await store.runs.listQueued(3, 2)).map((r) => r.id)).toEqual([
      floods[0]!.id,
      floods[1]!.id,
      late.id,
    ]);
    await store.runs.claim(floods[0]!.id, at(10));
    expect((await store.runs.listQueued(10, 2)).map((r) => r.id)).toEqual([
      floods[1]!.id,
      floods[2]!.id,
      late.id,
    ]);
  });

  it('admits a run only under the unfinished cap, counting queued and running runs', async () => {
    const { store, userId } = await withUser(dbs);
    const running = await insertRun(store, aRun(userId));
    await store.runs.claim(running.id, at(1));
    await insertRun(store, aRun(userId, { status: 'completed' }));
    expect(await store.runs.admit(aRun(userId), { maxUnfinished: 2 })).toEqual({ admitted: true });
    const refused = aRun(userId);
    expect(await store.runs.admit(refused, { maxUnfinished: 2 })).toEqual({
      admitted: false,
      limit: 'maxUnfinished',
      used: 2,
    });
    expect(await store.runs.get(refused.id)).toBeUndefined();
    expect(await store.runs.admit(refused, {})).toEqual({ admitted: true });
    await expect(store.runs.admit(refused, {})).rejects.toBeInstanceOf(ConflictError);
  });

  it('admits a submission only under its assignment quota since a time', async () => {
    const store = await dbs.openFresh();
    const { user, course, assignment } = await seedCourse(store);
    const submission = (minute: number) =>
      aRun(user.id, {
        kind: 'submission',
        courseId: course.id,
        assignmentId: assignment.id,
        createdAt: at(minute),
      });
    await insertRun(store, submission(1));
    await insertRun(store, submission(5));
    const quota = (since: number) => ({ submissions: { max: 2, since: at(since) } });
    expect(await store.runs.admit(submission(6), quota(5))).toEqual({ admitted: true });
    expect(await store.runs.admit(submission(7), quota(5))).toEqual({
      admitted: false,
      limit: 'submissions',
      used: 2,
    });
  });

  it('admits exactly up to the cap under concurrent admissions', async () => {
    const config = await dbs.fresh();
    const first = await dbs.open(config);
    // PostgreSQL: two stores are two pools, as two server replicas would be. Not on SQLite: the
    // server has one connection per file, and two in one process cannot interleave transactions
    // (better-sqlite3 blocks the thread while waiting for the lock the other connection holds).
    const stores = first.dialect === 'postgres' ? [first, await dbs.open(config)] : [first];
    const user = aUser();
    await first.users.insert(user);
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        stores[i % stores.length]!.runs.admit(aRun(user.id), { maxUnfinished: 5 }),
      ),
    );
    expect(outcomes.filter((o) => o.admitted)).toHaveLength(5);
    expect(await queuedOf(first, user.id)).toBe(5);
  });

  it('counts runs by status, zeros included', async () => {
    const { store, userId } = await withUser(dbs);
    expect(await store.runs.countByStatus()).toEqual({
      queued: 0,
      running: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
    });
    for (const status of ['queued', 'queued', 'failed'] as const)
      await insertRun(store, aRun(userId, { status }));
    expect(await store.runs.countByStatus()).toEqual({
      queued: 2,
      running: 0,
      completed: 0,
      failed: 1,
      cancelled: 0,
    });
  });

  it('counts one user’s submissions to one assignment since a time', async () => {
    const store = await dbs.openFresh();
    const { user, course, assignment } = await seedCourse(store);
    const other = aUser();
    await store.users.insert(other);
    const submission = (userId: string, minute: number, overrides: Partial<Run> = {}) =>
      aRun(userId, {
        kind: 'submission',
        courseId: course.id,
        assignmentId: assignment.id,
        createdAt: at(minute),
        ...overrides,
      });
    await insertRun(store, submission(user.id, 1));
    await insertRun(store, submission(user.id, 5));
    await insertRun(store, submission(user.id, 6, { status: 'failed' }));
    await insertRun(store, submission(user.id, 7, { kind: 'adhoc' }));
    await insertRun(store, submission(other.id, 8));
    expect(await store.runs.countSubmissionsSince(assignment.id, user.id, at(5))).toBe(2);
    expect(await store.runs.countSubmissionsSince(assignment.id, user.id, at(0))).toBe(3);
    expect(await store.runs.countSubmissionsSince(assignment.id, user.id, at(9))).toBe(0);
    // Queued only (aRun's default status), this user only: three of the user's four runs above.
    expect(await queuedOf(store, user.id)).toBe(3);
    expect(await queuedOf(store, other.id)).toBe(1);
  });

  it('sets the webhook status', async () => {
    const { store, userId } = await withUser(dbs);
    const run = await insertRun(
      store,
      aRun(userId, { webhookUrl: 'https://hook.test', webhookStatus: 'pending' }),
    );
    await store.runs.setWebhookStatus(run.id, 'delivered');
    expect((await store.runs.get(run.id))?.webhookStatus).toBe('delivered');
  });
}

export function runLifecycleContract(dbs: TestDatabases): void {
  it('claims a queued run once: running, attempts + 1, startedAt set', async () => {
    const { store, userId } = await withUser(dbs);
    const run = await insertRun(store, aRun(userId));
    const claimed = await store.runs.claim(run.id, at(1));
    expect(claimed).toEqual({ ...run, status: 'running', attempts: 1, startedAt: at(1) });
    expect(await store.runs.claim(run.id, at(2))).toBeUndefined();
    expect(await store.runs.claim('missing', at(2))).toBeUndefined();
  });

  it('lets exactly one of two concurrent claims win, on one store and across two', async () => {
    const config = await dbs.fresh();
    const [first, second] = [await dbs.open(config), await dbs.open(config)];
    const user = aUser();
    await first.users.insert(user);
    for (let round = 0; round < 10; round++) {
      const run = await insertRun(first, aRun(user.id));
      const claims = await Promise.all([
        first.runs.claim(run.id, at(1)),
        first.runs.claim(run.id, at(1)),
        second.runs.claim(run.id, at(1)),
        second.runs.claim(run.id, at(1)),
      ]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect((await first.runs.get(run.id))?.attempts).toBe(1);
    }
  });

  it('completes a running run with the current attempt, and ignores a stale one', async () => {
    const { store, userId } = await withUser(dbs);
    const run = await insertRun(store, aRun(userId));
    await store.runs.claim(run.id, at(1));
    expect(await store.runs.release(run.id, 1)).toBe(true);
    const retry = await store.runs.claim(run.id, at(2));
    expect(retry?.attempts).toBe(2);
    expect(await store.runs.complete(run.id, 1, aCompletion({ verdict: 'wrong_answer' }))).toBe(false);
    expect((await store.runs.get(run.id))?.status).toBe('running');
    const completion = aCompletion();
    expect(await store.runs.complete(run.id, 2, completion)).toBe(true);
    expect(await store.runs.get(run.id)).toMatchObject({
      status: 'completed',
      result: completion.result,
      verdict: 'accepted',
      score: 1.5,
      maxScore: 2.5,
      error: null,
      finishedAt: completion.finishedAt,
    });
    expect(await store.runs.complete(run.id, 2, aCompletion({ status: 'failed' }))).toBe(false);
  });

  it('records a failed completion without a result', async () => {
    const { store, userId } = await withUser(dbs);
    const run = await insertRun(store, aRun(userId));
    await store.runs.claim(run.id, at(1));
    const failure = { status: 'failed' as const, result: null, verdict: null, score: null, maxScore: null };
    expect(await store.runs.complete(run.id, 1, aCompletion({ ...failure, error: 'no sandbox' }))).toBe(true);
    expect(await store.runs.get(run.id)).toMatchObject({ ...failure, error: 'no sandbox' });
  });

  it('releases a running run back to the queue only for its current attempt', async () => {
    const { store, userId } = await withUser(dbs);
    const run = await insertRun(store, aRun(userId));
    expect(await store.runs.release(run.id, 0)).toBe(false);
    await store.runs.claim(run.id, at(1));
    expect(await store.runs.release(run.id, 7)).toBe(false);
    expect(await store.runs.release(run.id, 1)).toBe(true);
    expect(await store.runs.get(run.id)).toMatchObject({ status: 'queued', attempts: 1, startedAt: null });
  });
}

export function runCancelContract(dbs: TestDatabases): void {
  it('cancels a queued run at once, so it can no longer be claimed', async () => {
    const { store, userId } = await withUser(dbs);
    const run = await insertRun(store, aRun(userId));
    expect(await store.runs.requestCancel(run.id, at(3))).toBe('cancelled');
    expect(await store.runs.get(run.id)).toMatchObject({ status: 'cancelled', finishedAt: at(3) });
    expect(await store.runs.claim(run.id, at(4))).toBeUndefined();
    expect(await store.runs.requestCancel(run.id, at(5))).toBe('cancelled');
    expect(await store.runs.requestCancel('missing', at(5))).toBeUndefined();
  });

  it('flags a running run, and markCancelled finishes it for that attempt only', async () => {
    const { store, userId } = await withUser(dbs);
    const run = await insertRun(store, aRun(userId));
    await store.runs.claim(run.id, at(1));
    expect(await store.runs.markCancelled(run.id, 1, at(2))).toBe(false);
    expect(await store.runs.requestCancel(run.id, at(2))).toBe('running');
    expect(await store.runs.get(run.id)).toMatchObject({
      status: 'running',
      cancelRequested: true,
      finishedAt: null,
    });
    expect(await store.runs.markCancelled(run.id, 2, at(3))).toBe(false);
    expect(await store.runs.markCancelled(run.id, 1, at(3))).toBe(true);
    expect(await store.runs.get(run.id)).toMatchObject({ status: 'cancelled', finishedAt: at(3) });
    expect(await store.runs.complete(run.id, 1, aCompletion())).toBe(false);
  });

  it('reports the final status when cancelling a finished run, and changes nothing', async () => {
    const { store, userId } = await withUser(dbs);
    const run = await insertRun(store, aRun(userId, { status: 'completed', finishedAt: at(1) }));
    expect(await store.runs.requestCancel(run.id, at(2))).toBe('completed');
    expect(await store.runs.get(run.id)).toEqual(run);
  });

  it('requeues every running run after a crash and returns their ids', async () => {
    const { store, userId } = await withUser(dbs);
    const [a, b, queued] = [aRun(userId), aRun(userId), aRun(userId)];
    const done = aRun(userId, { status: 'completed' });
    for (const run of [a, b, queued, done]) await store.runs.insert(run);
    await store.runs.claim(a.id, at(1));
    await store.runs.claim(b.id, at(1));
    expect(await store.runs.requeueRunning()).toEqual([a.id, b.id].sort());
    expect(await store.runs.get(a.id)).toMatchObject({ status: 'queued', attempts: 1, startedAt: null });
    expect(await store.runs.get(done.id)).toEqual(done);
    expect(await store.runs.requeueRunning()).toEqual([]);
    expect((await store.runs.claim(a.id, at(2)))?.attempts).toBe(2);
  });
}

/** How many of a user's runs wait in the queue, read through the dispatcher's own query. */
async function queuedOf(store: Store, userId: string): Promise<number> {
  return (await store.runs.listQueued(10_000)).filter((run) => run.userId === userId).length;
}
