import type { RunView, StudentAssignment } from '../api/types.ts';

export interface Quota {
  limit: number;
  used: number;
  remaining: number;
  periodSeconds: number;
}

/** What the server's quota check will say: submissions in the last `periodSeconds`. */
export function submissionQuota(
  assignment: Pick<StudentAssignment, 'submissionLimit'>,
  submissions: Pick<RunView, 'createdAt'>[],
  now: Date = new Date(),
): Quota | null {
  const limit = assignment.submissionLimit;
  if (!limit) return null;
  const since = now.getTime() - limit.periodSeconds * 1000;
  const used = submissions.filter((s) => new Date(s.createdAt).getTime() > since).length;
  return {
    limit: limit.count,
    used,
    remaining: Math.max(0, limit.count - used),
    periodSeconds: limit.periodSeconds,
  };
}

export function describePeriod(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? 'day' : `${seconds / 86_400} days`;
  if (seconds % 3_600 === 0) return seconds === 3_600 ? 'hour' : `${seconds / 3_600} hours`;
  if (seconds % 60 === 0) return `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}

export const deadlinePassed = (deadline: string | null, now: Date = new Date()) =>
  deadline !== null && now >= new Date(deadline);
