import type { LockSchedule, LoginReservation, ThrottleKey } from '@aperture/core';
import { expect, it } from 'vitest';
import type { TestDatabases } from '../test-support/databases.ts';
import { at } from '../test-support/fixtures.ts';

const alice: ThrottleKey = { kind: 'account', key: 'alice' };
const NO_LOCK: LockSchedule = { from: 1000, until: [] };

/** An attempt at minute `minute` that forgets counters idle for more than an hour. */
const attempt = (minute: number, lock: LockSchedule = NO_LOCK): LoginReservation => ({
  at: at(minute),
  forgetBefore: at(minute - 60),
  lock,
});

export function loginFailureContract(dbs: TestDatabases): void {
  it('counts attempts per kind and key, and finds only the counters that exist', async () => {
    const store = await dbs.openFresh();
    const address: ThrottleKey = { kind: 'address', key: 'alice' };
    expect(await store.loginFailures.reserve(alice, attempt(1))).toEqual({
      allowed: true,
      record: { ...alice, failures: 1, firstFailureAt: at(1), lastFailureAt: at(1), lockedUntil: null },
    });
    await store.loginFailures.reserve(alice, attempt(2));
    await store.loginFailures.reserve(address, attempt(3));
    const found = await store.loginFailures.find([alice, address, { kind: 'account', key: 'bob' }]);
    expect(
      found.map(({ kind, failures, firstFailureAt, lastFailureAt }) => ({
        kind,
        failures,
        firstFailureAt,
        lastFailureAt,
      })),
    ).toEqual([
      { kind: 'account', failures: 2, firstFailureAt: at(1), lastFailureAt: at(2) },
      { kind: 'address', failures: 1, firstFailureAt: at(3), lastFailureAt: at(3) },
    ]);
    expect(await store.loginFailures.find([])).toEqual([]);
  });

  it('sets the lock the schedule names for the new count, and its last entry past the end', async () => {
    const store = await dbs.openFresh();
    const lock: LockSchedule = { from: 2, until: [at(3), at(5), at(7)] };
    const locks: Array<string | null> = [];
    for (const minute of [1, 2, 3, 5, 7, 9])
      locks.push((await store.loginFailures.reserve(alice, attempt(minute, lock))).record.lockedUntil);
    expect(locks).toEqual([null, at(3), at(5), at(7), at(7), at(7)]);
    const first = { kind: 'account', key: 'carol' } as const;
    const lockedAtOnce = await store.loginFailures.reserve(first, attempt(1, { from: 1, until: [at(9)] }));
    expect(lockedAtOnce).toMatchObject({ allowed: true, record: { lockedUntil: at(9) } });
  });

  it('refuses while locked and changes nothing: a refused attempt neither counts nor extends the lock', async () => {
    const store = await dbs.openFresh();
    const lock: LockSchedule = { from: 2, until: [at(10), at(20)] };
    await store.loginFailures.reserve(alice, attempt(1, lock));
    const locking = await store.loginFailures.reserve(alice, attempt(2, lock));
    expect(locking).toMatchObject({ allowed: true, record: { failures: 2, lockedUntil: at(10) } });
    for (const minute of [3, 5, 9]) {
      // (A schedule made later names later locks; a refusal must not take them.)
      const later = { from: 2, until: [at(minute + 10), at(minute + 20)] };
      expect(await store.loginFailures.reserve(alice, attempt(minute, later))).toEqual({
        allowed: false,
        record: locking.record,
      });
    }
    expect(await store.loginFailures.reserve(alice, attempt(10, lock))).toMatchObject({
      allowed: true,
      record: { failures: 3, lastFailureAt: at(10), lockedUntil: at(20) },
    });
  });

  it('starts a counter again at 1 when its last counted attempt is older than forgetBefore', async () => {
    const store = await dbs.openFresh();
    await store.loginFailures.reserve(alice, attempt(0));
    await store.loginFailures.reserve(alice, attempt(50));
    expect((await store.loginFailures.reserve(alice, attempt(100))).record.failures).toBe(3);
    expect((await store.loginFailures.reserve(alice, attempt(200))).record).toMatchObject({
      failures: 1,
      firstFailureAt: at(200),
      lastFailureAt: at(200),
    });
  });

  it('lets exactly `threshold` of many concurrent reservations from two stores (two replicas) pass', async () => {
    const config = await dbs.fresh();
    const [one, two] = [await dbs.open(config), await dbs.open(config)];
    const threshold = 5;
    const lock: LockSchedule = { from: threshold, until: [at(30)] };
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? one : two).loginFailures.reserve(alice, attempt(1, lock)),
      ),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(threshold);
    expect((await one.loginFailures.find([alice]))[0]).toMatchObject({
      failures: threshold,
      lockedUntil: at(30),
    });
  });

  it('gives a reservation back: one less, with the lock the schedule names for that count', async () => {
    const store = await dbs.openFresh();
    const lock: LockSchedule = { from: 2, until: [at(10), at(20)] };
    for (const minute of [1, 2, 10]) await store.loginFailures.reserve(alice, attempt(minute, lock));
    await store.loginFailures.release(alice, lock);
    expect((await store.loginFailures.find([alice]))[0]).toMatchObject({ failures: 2, lockedUntil: at(10) });
    await store.loginFailures.release(alice, lock);
    expect((await store.loginFailures.find([alice]))[0]).toMatchObject({ failures: 1, lockedUntil: null });
    await store.loginFailures.release(alice, lock);
    await store.loginFailures.release(alice, lock);
    await store.loginFailures.release({ kind: 'pair', key: 'nobody' }, lock);
    expect((await store.loginFailures.find([alice]))[0]?.failures).toBe(0);
  });

  it('clears one counter, and sweeps the counters whose last counted attempt is old', async () => {
    const store = await dbs.openFresh();
    const [bob, carol, address] = [
      { kind: 'account', key: 'bob' },
      { kind: 'account', key: 'carol' },
      { kind: 'address', key: '192.0.2.1' },
    ] as const;
    await store.loginFailures.reserve(alice, attempt(1));
    await store.loginFailures.reserve(bob, attempt(1));
    await store.loginFailures.reserve(carol, attempt(10));
    await store.loginFailures.reserve(address, attempt(1));
    await store.loginFailures.clear(alice);
    await store.loginFailures.clear({ kind: 'account', key: '192.0.2.1' });
    expect(await store.loginFailures.deleteStale(at(5))).toBe(2);
    expect(await store.loginFailures.find([alice, bob, carol, address])).toEqual([
      expect.objectContaining({ key: 'carol', failures: 1 }),
    ]);
  });
}
