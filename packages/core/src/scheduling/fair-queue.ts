import type { QueuedRunRef } from '../ports.ts';

export interface RunningLoad {
  /** Runs executing now, in all. */
  readonly running: number;
  byCourse: ReadonlyMap<string, number>;
  byUser: ReadonlyMap<string, number>;
  /** When each user last had a run started, as a sequence number (higher = more recent). */
  lastStarted: ReadonlyMap<string, number>;
}

/**
 * How the slots are shared out. A run whose user already has `perUser` runs executing, or (while
 * other lanes have work) whose course has `perCourse`, is *surplus*: it may borrow a free slot, but
 * never one of the last `reserved` free slots, and never ahead of a run within its caps. Surplus
 * keeps the scheduler work-conserving (one user alone still gets all but the reserved slots);
 * the reserve is what lets a newcomer start at once instead of after a flood's run ends.
 */
export interface FairShareCaps {
  /** Runs executing at once, in all. */
  concurrency: number;
  /** Runs one user may execute at once before further ones count as surplus. */
  perUser: number;
  /** Runs one course lane may execute at once, while more than one lane has work. */
  perCourse: number;
  /** Free slots surplus runs may not take: kept so that a newcomer starts at once. */
  reserved: number;
}

/** Ad-hoc runs outside any course share one lane. */
export const NO_COURSE_LANE = '(none)';

/**
 * Defaults derived from the number of slots:
 * - per user: half the slots (at least one), so two flooding users cannot hold more than all of them;
 * - per course: three quarters (rounded up), so a busy course leaves room for a quiet one;
 * - reserved: one slot when there are two or more. With a single slot there is nothing to reserve:
 *   one user can hold it, and the bound is then "the next start after the current run ends".
 */
export function defaultFairShare(concurrency: number, overrides: Partial<FairShareCaps> = {}): FairShareCaps {
  const slots = Math.max(1, Math.floor(concurrency));
  return {
    concurrency: slots,
    perUser: overrides.perUser ?? Math.max(1, Math.floor(slots / 2)),
    perCourse: overrides.perCourse ?? Math.max(1, Math.ceil(slots * 0.75)),
    reserved: Math.min(slots, overrides.reserved ?? (slots >= 2 ? 1 : 0)),
  };
}

/** No caps at all: only the ordering applies (the behaviour before caps existed). */
const UNCAPPED: FairShareCaps = {
  concurrency: Number.POSITIVE_INFINITY,
  perUser: Number.POSITIVE_INFINITY,
  perCourse: Number.POSITIVE_INFINITY,
  reserved: 0,
};

type Key = [
  surplus: number,
  course: number,
  user: number,
  lastStarted: number,
  createdAt: string,
  id: string,
];

/**
 * Choose the next run to start, or none when every queued run must wait. Runs within their caps
 * come before surplus; then the course with the fewest running runs, then the user with the
 * fewest, then the user served least recently (round robin, so with one slot a newcomer goes
 * next rather than behind a flood's older runs), then the oldest. One pass over `queued`: the
 * dispatcher calls this once per start, so skipping capped users never costs more than a scan.
 * Pure: the dispatcher supplies the current load.
 */
export function pickNext(
  queued: ReadonlyArray<QueuedRunRef>,
  load: RunningLoad,
  caps: FairShareCaps = UNCAPPED,
): QueuedRunRef | undefined {
  const free = caps.concurrency - load.running;
  if (free <= 0) return undefined;
  // A course cap only matters when another lane has work (queued or running); alone, a course may
  // use every slot.
  const courseCapApplies = lanesWithWork(queued, load) > 1;
  let best: QueuedRunRef | undefined;
  let bestKey: Key | undefined;
  for (const run of queued) {
    const lane = run.courseId ?? NO_COURSE_LANE;
    const courseLoad = load.byCourse.get(lane) ?? 0;
    const userLoad = load.byUser.get(run.userId) ?? 0;
    // A user's first run is never surplus: the course cap holds back a course's repeat runs, not
    // a newcomer, so one user's flood can never make a classmate wait for a slot.
    const surplus =
      userLoad >= caps.perUser || (userLoad > 0 && courseCapApplies && courseLoad >= caps.perCourse);
    if (surplus && free <= caps.reserved) continue;
    const key: Key = [
      surplus ? 1 : 0,
      courseLoad,
      userLoad,
      load.lastStarted.get(run.userId) ?? -1,
      run.createdAt,
      run.id,
    ];
    if (!bestKey || compareKeys(key, bestKey) < 0) {
      best = run;
      bestKey = key;
    }
  }
  return best;
}

function lanesWithWork(queued: ReadonlyArray<QueuedRunRef>, load: RunningLoad): number {
  const lanes = new Set(load.byCourse.keys());
  for (const run of queued) {
    lanes.add(run.courseId ?? NO_COURSE_LANE);
    if (lanes.size > 1) break;
  }
  return lanes.size;
}

function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Users remembered for round robin; past this the least recently served are forgotten (they then rank as new). */
const MAX_REMEMBERED_USERS = 10_000;

/** Mutable counter of what is running, kept by the dispatcher. */
export class RunningLoadCounter implements RunningLoad {
  readonly byCourse = new Map<string, number>();
  readonly byUser = new Map<string, number>();
  readonly lastStarted = new Map<string, number>();
  private total = 0;
  private starts = 0;

  get running(): number {
    return this.total;
  }

  add(run: { userId: string; courseId: string | null }): void {
    this.total++;
    bump(this.byCourse, run.courseId ?? NO_COURSE_LANE, 1);
    bump(this.byUser, run.userId, 1);
    // Delete first so the map's order is the order of service, and the oldest entry goes first.
    this.lastStarted.delete(run.userId);
    this.lastStarted.set(run.userId, this.starts++);
    for (const user of this.lastStarted.keys()) {
      if (this.lastStarted.size <= MAX_REMEMBERED_USERS) break;
      this.lastStarted.delete(user);
    }
  }

  remove(run: { userId: string; courseId: string | null }): void {
    this.total = Math.max(0, this.total - 1);
    bump(this.byCourse, run.courseId ?? NO_COURSE_LANE, -1);
    bump(this.byUser, run.userId, -1);
  }
}

function bump(map: Map<string, number>, key: string, delta: number): void {
  const next = (map.get(key) ?? 0) + delta;
  if (next <= 0) map.delete(key);
  else map.set(key, next);
}
