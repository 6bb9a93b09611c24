import type { LockSchedule, LoginFailure, ThrottleKey } from '@aperture/core';
import { expect, it } from 'vitest';
import type { TestDatabases } from '../test-support/databases.ts';
import { at } from '../test-support/fixtures.ts';

const alice: ThrottleKey = { kind: 'account', key: 'alice' };
const NO_LOCK: LockSchedule = { from: 1000, until: [] };

/** A failure at minute `minute` that forgets counters idle for more than an hour. */
const failure = (minute: number, lock: LockSchedule = NO_LOCK): LoginFailure => ({
  at: at(minute),
  forgetBefore: at(minute - 60),
  lock,
});

export function loginFailureContract(dbs: TestDatabases): void {
  it('counts failures per kind and key, and finds only the counters that exist', async () => {
    const store = await dbs.openFresh();
    const address: ThrottleKey = { kind: 'address', key: 'alice' };
    expect(await store.loginFailures.recordFailure(alice, failure(1))).toEqual({
      ...alice,
      failures: 1,
      firstFailureAt: at(1),
      lastFailureAt: at(1),
      lockedUntil: null,
    });
    await store.loginFailures.recordFailure(alice, failure(2));
    await store.loginFailures.recordFailure(address, failure(3));
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
    const lock: LockSchedule = { from: 2, until: [at(100), at(200), at(300)] };
    const locks: Array<string | null> = [];
    for (let i = 0; i < 6; i++)
      locks.push((await store.loginFailures.recordFailure(alice, failure(1, lock))).lockedUntil);
    expect(locks).toEqual([null, at(100), at(200), at(300), at(300), at(300)]);
    const first = { kind: 'account', key: 'carol' } as const;
    const lockedAtOnce = await store.loginFailures.recordFailure(
      first,
      failure(1, { from: 1, until: [at(9)] }),
    );
    expect(lockedAtOnce.lockedUntil).toBe(at(9));
  });

  it('starts a counter again at 1 when its last failure is older than forgetBefore', async () => {
    const store = await dbs.openFresh();
    await store.loginFailures.recordFailure(alice, failure(0));
    await store.loginFailures.recordFailure(alice, failure(50));
    expect((await store.loginFailures.recordFailure(alice, failure(100))).failures).toBe(3);
    expect(await store.loginFailures.recordFailure(alice, failure(200))).toMatchObject({
      failures: 1,
      firstFailureAt: at(200),
      lastFailureAt: at(200),
    });
  });

  it('loses no failure when two stores (two replicas) count the same key at once', async () => {
    const config = await dbs.fresh();
    const [one, two] = [await dbs.open(config), await dbs.open(config)];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? one : two).loginFailures.recordFailure(alice, failure(1)),
      ),
    );
    expect((await one.loginFailures.find([alice]))[0]?.failures).toBe(20);
  });

  it('clears one counter, and sweeps the counters whose last failure is old', async () => {
    const store = await dbs.openFresh();
    const [bob, carol, address] = [
      { kind: 'account', key: 'bob' },
      { kind: 'account', key: 'carol' },
      { kind: 'address', key: '192.0.2.1' },
    ] as const;
    await store.loginFailures.recordFailure(alice, failure(1));
    await store.loginFailures.recordFailure(bob, failure(1));
    await store.loginFailures.recordFailure(carol, failure(10));
    await store.loginFailures.recordFailure(address, failure(1));
    await store.loginFailures.clear(alice);
    await store.loginFailures.clear({ kind: 'account', key: '192.0.2.1' });
    expect(await store.loginFailures.deleteStale(at(5))).toBe(2);
    expect(await store.loginFailures.find([alice, bob, carol, address])).toEqual([
      expect.objectContaining({ key: 'carol', failures: 1 }),
    ]);
  });
}
