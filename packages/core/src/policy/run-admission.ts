import type { CourseRole, RunSpec } from '../domain/entities.ts';
import { bookedWallMs, buildHarnessJob } from '../domain/job-builder.ts';
import type { Language } from '../domain/languages.ts';
import { ValidationError } from '../errors.ts';
import { type Actor, isAdmin, isCourseStaff } from './authz.ts';

/**
 * What a run may ask of the machine before it is queued. The fair scheduler shares slots, but a
 * slot held for hours is still unfair: so an ad-hoc run (code and tests of the caller's choosing,
 * not an assignment's) has ceilings by who asks, and nobody may pile up unbounded unfinished runs.
 * Graded submissions book what their assignment's staff set, and only the unfinished cap applies.
 */

/** Who asks, for limits: staff are instance staff or a course's TA or instructor anywhere. */
export type RunnerClass = 'student' | 'staff' | 'admin';

export interface AdhocCeilings {
  /** Wall-time limit of one test (or of the single run without tests), ms. */
  testWallMs: number;
  /** Number of tests. */
  tests: number;
  /** Total booked wall time: compile + every test at its limit (job-builder's bookedWallMs), ms. */
  bookedMs: number;
}

export interface AdmissionPolicy {
  /** Ceilings of one ad-hoc run; admins have none below the global maxima (MAX_LIMITS). */
  adhoc: Record<Exclude<RunnerClass, 'admin'>, AdhocCeilings>;
  /** Runs one user may have queued or running at once. */
  maxUnfinished: Record<RunnerClass, number>;
}

/**
 * A student's ad-hoc run books at most a minute: enough for the default 10 s limit with a few
 * tests, or 20 short tests, on top of a 30 s compile budget. That minute (+ the sandbox's start-up
 * slack) is also the longest a classmate waits behind one of the student's runs.
 */
export const DEFAULT_ADMISSION_POLICY: AdmissionPolicy = {
  adhoc: {
    student: { testWallMs: 10_000, tests: 20, bookedMs: 60_000 },
    staff: { testWallMs: 60_000, tests: 100, bookedMs: 600_000 },
  },
  maxUnfinished: { student: 20, staff: 200, admin: 500 },
};

export function runnerClass(actor: Actor, courseRoles: ReadonlyArray<CourseRole | null>): RunnerClass {
  if (isAdmin(actor)) return 'admin';
  if (actor.role === 'staff' || courseRoles.some((role) => isCourseStaff(role ?? undefined))) return 'staff';
  return 'student';
}

export type Booking = AdhocCeilings;

/** What a run would book, from the same job the dispatcher will build (limits resolved and clamped). */
export function bookingOf(spec: RunSpec, language: Language): Booking {
  const job = buildHarnessJob({ id: 'admission', spec }, language, 'admission');
  const walls = job.tests.length > 0 ? job.tests.map((t) => t.limits.wallMs) : [job.runLimits.wallMs];
  return { testWallMs: Math.max(...walls), tests: job.tests.length, bookedMs: bookedWallMs(job) };
}

/** Throws a ValidationError naming the first limit over its ceiling, the ceiling and the request. */
export function checkAdhocCeilings(booking: Booking, runner: RunnerClass, policy: AdmissionPolicy): void {
  if (runner === 'admin') return;
  const ceilings = policy.adhoc[runner];
  const over = (limit: keyof AdhocCeilings, field: string, message: string) => {
    if (booking[limit] <= ceilings[limit]) return;
    throw new ValidationError(message, {
      field,
      limit,
      ceiling: ceilings[limit],
      requested: booking[limit],
      runner,
    });
  };
  const who = `An ad-hoc run by ${runner === 'staff' ? 'staff' : 'a student'}`;
  over(
    'testWallMs',
    'limits.wallMs',
    `${who} may give a test at most ${seconds(ceilings.testWallMs)} of wall time; this one asks for ${seconds(booking.testWallMs)}.`,
  );
  over('tests', 'tests', `${who} may have at most ${ceilings.tests} tests; this one has ${booking.tests}.`);
  over(
    'bookedMs',
    'limits.wallMs',
    `${who} may book at most ${seconds(ceilings.bookedMs)} in all (compile + each test at its wall-time limit); ` +
      `this one books ${seconds(booking.bookedMs)}. Lower limits.wallMs or send fewer tests.`,
  );
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
