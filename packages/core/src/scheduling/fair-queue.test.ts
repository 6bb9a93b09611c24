import { describe, expect, it } from 'vitest';
import type { QueuedRunRef } from '../ports.ts';
import { defaultFairShare, type FairShareCaps, pickNext, RunningLoadCounter } from './fair-queue.ts';

const ref = (id: string, userId: string, courseId: string | null, createdAt: string) => ({
  id,
  userId,
  courseId,
  createdAt,
});

/** A load with these runs executing, started in this order. */
function loadOf(...running: Array<[userId: string, courseId: string | null]>): RunningLoadCounter {
  const load = new RunningLoadCounter();
  for (const [userId, courseId] of running) load.add({ userId, courseId });
  return load;
}

/** Start runs one by one as a dispatcher with `caps` would, until it picks none: the ids in order. */
function drain(queued: QueuedRunRef[], caps: FairShareCaps, load = new RunningLoadCounter()): string[] {
  const left = [...queued];
  const started: string[] = [];
  for (let next = pickNext(left, load, caps); next; next = pickNext(left, load, caps)) {
    left.splice(left.indexOf(next), 1);
    load.add(next);
    started.push(next.id);
  }
  return started;
}

describe('pickNext', () => {
  it('takes the oldest when nothing runs', () => {
    const queued = [ref('b', 'u1', 'c1', '2'), ref('a', 'u2', 'c1', '1')];
    expect(pickNext(queued, new RunningLoadCounter())?.id).toBe('a');
  });

  it('a flooding user does not hold up another user of the same course', () => {
    const load = loadOf(['flood', 'c1']);
    const queued = [
      ref('f1', 'flood', 'c1', '1'),
      ref('f2', 'flood', 'c1', '2'),
      ref('x', 'other', 'c1', '3'),
    ];
    expect(pickNext(queued, load)?.id).toBe('x');
  });

  it('a busy course does not starve a quiet one', () => {
    const load = loadOf(['a', 'big'], ['b', 'big']);
    const queued = [ref('big1', 'c', 'big', '1'), ref('small1', 'd', 'small', '9')];
    expect(pickNext(queued, load)?.id).toBe('small1');
  });

  it('ad-hoc runs share one lane and the counter forgets finished runs', () => {
    const load = new RunningLoadCounter();
    const run = { userId: 'u', courseId: null };
    load.add(run);
    load.remove(run);
    expect(load.byCourse.size).toBe(0);
    expect(load.byUser.size).toBe(0);
    expect(load.running).toBe(0);
  });

  it('returns undefined for an empty queue', () => {
    expect(pickNext([], new RunningLoadCounter())).toBeUndefined();
  });
});

describe('defaultFairShare', () => {
  it.each([
    // concurrency, perUser, perCourse, reserved
    [1, 1, 1, 0],
    [2, 1, 2, 1],
    [3, 1, 3, 1],
    [4, 2, 3, 1],
    [8, 4, 6, 1],
    [32, 16, 24, 1],
  ])(
    'concurrency %i: %i per user, %i per course, %i reserved',
    (concurrency, perUser, perCourse, reserved) => {
      expect(defaultFairShare(concurrency)).toEqual({ concurrency, perUser, perCourse, reserved });
    },
  );

  it('takes overrides, and never reserves more slots than there are', () => {
    expect(defaultFairShare(4, { perUser: 3, reserved: 9 })).toEqual({
      concurrency: 4,
      perUser: 3,
      perCourse: 3,
      reserved: 4,
    });
  });
});

describe('pickNext with caps', () => {
  const flood = (user: string, course: string | null, n: number, from = 0) =>
    Array.from({ length: n }, (_, i) =>
      ref(`${user}${i + 1}`, user, course, String(from + i).padStart(3, '0')),
    );

  it.each<{ name: string; concurrency: number; queued: QueuedRunRef[]; started: string[] }>([
    {
      // The measured problem: 2 slots, one student's two long runs held both.
      name: '2 slots: a lone flood takes one slot, the other stays free for a newcomer',
      concurrency: 2,
      queued: flood('a', null, 5),
      started: ['a1'],
    },
    {
      name: '2 slots: a newcomer queued behind the flood is started beside it',
      concurrency: 2,
      queued: [...flood('a', null, 5), ref('b1', 'b', null, '100')],
      started: ['a1', 'b1'],
    },
    {
      name: '1 slot: nothing to reserve, the flood may hold it',
      concurrency: 1,
      queued: flood('a', null, 3),
      started: ['a1'],
    },
    {
      name: '4 slots: a lone flood keeps its 2, borrows 1 and leaves the reserved slot',
      concurrency: 4,
      queued: flood('a', 'c1', 9),
      started: ['a1', 'a2', 'a3'],
    },
    {
      name: '4 slots: within-cap runs of others go before the flood borrows',
      concurrency: 4,
      queued: [...flood('a', 'c1', 9), ref('b1', 'b', 'c1', '500'), ref('c1', 'c', 'c1', '501')],
      started: ['a1', 'b1', 'c1', 'a2'],
    },
    {
      name: '8 slots: two courses; the course cap (6) holds back a course’s repeat runs',
      concurrency: 8,
      queued: [...flood('a', 'big', 9), ...flood('b', 'big', 9, 50), ...flood('q', 'quiet', 1, 900)],
      // a1 is the oldest; then q1 (its course runs nothing); then a and b alternate up to 6 in
      // `big` (3 + 3) within caps; then the course is at its cap and the one free slot is the reserve.
      started: ['a1', 'q1', 'b1', 'a2', 'b2', 'a3', 'b3'],
    },
    {
      name: '8 slots: one course alone has no course cap, only the per-user caps and the reserve',
      concurrency: 8,
      queued: [...flood('a', 'big', 9), ...flood('b', 'big', 9, 50)],
      started: ['a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'a4', 'b4'],
    },
  ])('$name', ({ concurrency, queued, started }) => {
    expect(drain(queued, defaultFairShare(concurrency))).toEqual(started);
  });

  it('a user with nothing running is never held back by their course’s cap', () => {
    // 8 slots: a's flood holds 4 within its cap and has borrowed 2 more, so course `big` is at its
    // cap of 6 while `other` has work. A classmate's first run still takes the free slot.
    const load = loadOf(...Array.from({ length: 6 }, () => ['a', 'big'] as [string, string]), ['o', 'other']);
    const queued = [...flood('a', 'big', 3, 10), ref('b1', 'b', 'big', '999')];
    expect(pickNext(queued, load, defaultFairShare(8))?.id).toBe('b1');
  });

  it('strict caps (reserved = concurrency) never borrow a slot', () => {
    expect(drain(flood('a', null, 9), defaultFairShare(4, { reserved: 4 }))).toEqual(['a1', 'a2']);
  });

  it('with one slot, the next start after the flood’s run goes to the newcomer (round robin)', () => {
    const caps = defaultFairShare(1);
    const load = new RunningLoadCounter();
    const queued = [...flood('a', null, 5), ref('b1', 'b', null, '100')];
    const first = pickNext(queued, load, caps)!;
    expect(first.id).toBe('a1');
    queued.splice(queued.indexOf(first), 1);
    load.add(first);
    expect(pickNext(queued, load, caps)).toBeUndefined();
    load.remove(first);
    // a's older runs tie with b1 on load; b has never been served, so b goes first.
    expect(pickNext(queued, load, caps)?.id).toBe('b1');
  });

  it('round robin among users who have all been served: least recently first', () => {
    const load = loadOf(['a', null], ['b', null]);
    load.remove({ userId: 'a', courseId: null });
    load.remove({ userId: 'b', courseId: null });
    const queued = [ref('b2', 'b', null, '1'), ref('a2', 'a', null, '2')];
    expect(pickNext(queued, load, defaultFairShare(1))?.id).toBe('a2');
  });

  it('ties on everything but the id are broken by id, so the pick is deterministic', () => {
    const queued = [ref('y', 'u', null, '1'), ref('x', 'u', null, '1')];
    expect(pickNext(queued, new RunningLoadCounter(), defaultFairShare(2))?.id).toBe('x');
  });

  it('picks nothing when every slot is taken', () => {
    expect(pickNext([ref('b1', 'b', null, '1')], loadOf(['a', null], ['c', null]), defaultFairShare(2))).toBe(
      undefined,
    );
  });
});
