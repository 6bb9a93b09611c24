import { describe, expect, it } from 'vitest';
import { enrollmentChanges, idleDue } from './lab-reconciler.ts';

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
