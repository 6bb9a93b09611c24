import type { QueuedRunRef } from '../ports.ts';

export interface RunningLoad {
  byCourse: ReadonlyMap<string, number>;
  byUser: ReadonlyMap<string, number>;
}

/** Ad-hoc runs outside any course share one lane. */
export const NO_COURSE_LANE = '(none)';

/**
 * Choose the next run to start: the course with the fewest running runs first, then the user with
 * the fewest, then the oldest. One student's 200 submissions thus never hold up another's one,
 * and a big course never starves a small one. Pure: the dispatcher supplies the current load.
 */
export function pickNext(queued: ReadonlyArray<QueuedRunRef>, load: RunningLoad): QueuedRunRef | undefined {
  let best: QueuedRunRef | undefined;
  let bestKey: [number, number, string] | undefined;
  for (const run of queued) {
    const key: [number, number, string] = [
      load.byCourse.get(run.courseId ?? NO_COURSE_LANE) ?? 0,
      load.byUser.get(run.userId) ?? 0,
      run.createdAt,
    ];
    if (!bestKey || compareKeys(key, bestKey) < 0) {
      best = run;
      bestKey = key;
    }
  }
  return best;
}

function compareKeys(a: [number, number, string], b: [number, number, string]): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] !== b[1]) return a[1] - b[1];
  return a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0;
}

/** Mutable counter of what is running, kept by the dispatcher. */
export class RunningLoadCounter implements RunningLoad {
  readonly byCourse = new Map<string, number>();
  readonly byUser = new Map<string, number>();

  add(run: { userId: string; courseId: string | null }): void {
    bump(this.byCourse, run.courseId ?? NO_COURSE_LANE, 1);
    bump(this.byUser, run.userId, 1);
  }

  remove(run: { userId: string; courseId: string | null }): void {
    bump(this.byCourse, run.courseId ?? NO_COURSE_LANE, -1);
    bump(this.byUser, run.userId, -1);
  }
}

function bump(map: Map<string, number>, key: string, delta: number): void {
  const next = (map.get(key) ?? 0) + delta;
  if (next <= 0) map.delete(key);
  else map.set(key, next);
}
