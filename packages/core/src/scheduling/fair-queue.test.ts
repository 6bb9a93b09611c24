import { describe, expect, it } from 'vitest';
import { pickNext, RunningLoadCounter } from './fair-queue.ts';

const ref = (id: string, userId: string, courseId: string | null, createdAt: string) => ({
  id,
  userId,
  courseId,
  createdAt,
});

describe('pickNext', () => {
  it('takes the oldest when nothing runs', () => {
    const queued = [ref('b', 'u1', 'c1', '2'), ref('a', 'u2', 'c1', '1')];
    expect(pickNext(queued, new RunningLoadCounter())?.id).toBe('a');
  });

  it('a flooding user does not hold up another user of the same course', () => {
    const load = new RunningLoadCounter();
    load.add({ userId: 'flood', courseId: 'c1' });
    const queued = [
      ref('f1', 'flood', 'c1', '1'),
      ref('f2', 'flood', 'c1', '2'),
      ref('x', 'other', 'c1', '3'),
    ];
    expect(pickNext(queued, load)?.id).toBe('x');
  });

  it('a busy course does not starve a quiet one', () => {
    const load = new RunningLoadCounter();
    load.add({ userId: 'a', courseId: 'big' });
    load.add({ userId: 'b', courseId: 'big' });
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
  });

  it('returns undefined for an empty queue', () => {
    expect(pickNext([], new RunningLoadCounter())).toBeUndefined();
  });
});
