import { describe, expect, it } from 'vitest';
import { enrollmentChanges, idleDue, teardownDue } from './lab-reconciler.ts';

describe('idleDue', () => {
  const now = new Date('2026-01-01T12:00:00.000Z');
  const hour = 3_600_000;

  it('counts from the last use, or from creation when never used', () => {
    const created = { createdAt: '2026-01-01T09:00:00.000Z', lastAccessAt: null };
    expect(idleDue(created, 2 * hour, now)).toBe(true);
    expect(idleDue({ ...created, lastAccessAt: '2026-01-01T11:00:00.000Z' }, 2 * hour, now)).toBe(false);
    expect(idleDue({ ...created, lastAccessAt: '2026-01-01T10:00:00.000Z' }, 2 * hour, now)).toBe(true);
  });
});

describe('enrollmentChanges', () => {
  it('adds the newly enrolled, revives the re-enrolled and removes those who left', () => {
    const environments = [
      { userId: 'a', state: 'ready' as const },
      { userId: 'b', state: 'removed' as const },
      { userId: 'c', state: 'stopped' as const },
      { userId: 'd', state: 'removed' as const },
    ];
    expect(enrollmentChanges(['a', 'b', 'e'], environments)).toEqual({
      add: ['e'],
      revive: ['b'],
      remove: ['c'],
    });
  });
});

describe('teardownDue', () => {
  const now = new Date('2026-01-01T12:00:00.000Z');
  const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
  const receipt = (attempts: number | undefined, verified = false) => ({
    deleted: 0,
    verified,
    remaining: ['Pod x'],
    errors: ['still terminating'],
    durationMs: 1,
    ...(attempts === undefined ? {} : { attempts }),
  });
  const limits = { teardownMaxAttempts: 4 };

  it('tries at once when none was tried, then doubles the wait, and stops at the limit', () => {
    expect(teardownDue({ teardown: null, updatedAt: ago(0) }, now, 30_000, limits)).toBe(true);
    expect(teardownDue({ teardown: receipt(1), updatedAt: ago(29_000) }, now, 30_000, limits)).toBe(false);
    expect(teardownDue({ teardown: receipt(1), updatedAt: ago(30_000) }, now, 30_000, limits)).toBe(true);
    expect(teardownDue({ teardown: receipt(undefined), updatedAt: ago(30_000) }, now, 30_000, limits)).toBe(
      true,
    );
    expect(teardownDue({ teardown: receipt(3), updatedAt: ago(119_000) }, now, 30_000, limits)).toBe(false);
    expect(teardownDue({ teardown: receipt(3), updatedAt: ago(120_000) }, now, 30_000, limits)).toBe(true);
    expect(teardownDue({ teardown: receipt(4), updatedAt: ago(86_400_000) }, now, 30_000, limits)).toBe(
      false,
    );
    // The wait is capped at 30 min however many tries were allowed.
    const many = { teardownMaxAttempts: 100 };
    expect(teardownDue({ teardown: receipt(40), updatedAt: ago(1_800_000) }, now, 30_000, many)).toBe(true);
  });
});
