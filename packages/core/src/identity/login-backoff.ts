import { ValidationError } from '../errors.ts';
import type { LockSchedule, LoginFailureRecord, ThrottleKind } from './login-failures.ts';

/**
 * Back-off, never a permanent lock on its own: past `threshold` counted attempts each further one
 * doubles the wait, from `baseMs` up to `maxMs`; a counter forgets after `forgetAfterMs` without
 * a counted attempt, and refused attempts are not counted. What that allows an attacker, per
 * counter, is worked out in docs/operations.md ("Sign-in and sessions").
 */
export interface BackoffRule {
  threshold: number;
  baseMs: number;
  maxMs: number;
  forgetAfterMs: number;
}

export type LoginBackoffPolicy = Record<ThrottleKind, BackoffRule>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const DEFAULT_LOGIN_BACKOFF: LoginBackoffPolicy = {
  // One username from one address: a day's memory, so a guesser who pauses gets few fresh guesses;
  // a user's rare typos cost nothing.
  pair: { threshold: 5, baseMs: 1000, maxMs: 15 * MINUTE, forgetAfterMs: 24 * HOUR },
  // From everywhere: ten times the pair's threshold, so one address meets its own pair lock long
  // before this; and a cap a third of the pair's, so one address at its pair cap (a guess per
  // 15 min) can hold this lock at most 5 of every 15 minutes.
  account: { threshold: 50, baseMs: 1000, maxMs: 5 * MINUTE, forgetAfterMs: 24 * HOUR },
  // Distinct usernames from one address: one student's typos at their own account never count
  // twice here; an hour's memory, so a NAT'd classroom's scattered typos do not add up.
  address: { threshold: 20, baseMs: 1000, maxMs: 15 * MINUTE, forgetAfterMs: HOUR },
};

/** Throws a ValidationError naming the first rule that is not a finite, increasing back-off. */
export function assertBackoffPolicy(policy: LoginBackoffPolicy): void {
  for (const [kind, rule] of Object.entries(policy)) assertBackoffRule(rule, kind);
}

function assertBackoffRule({ threshold, baseMs, maxMs, forgetAfterMs }: BackoffRule, name: string): void {
  const problem = !(Number.isInteger(threshold) && threshold >= 1)
    ? 'threshold must be a whole number of at least 1'
    : !(Number.isFinite(baseMs) && baseMs > 0)
      ? 'baseMs must be above 0'
      : !(Number.isFinite(maxMs) && maxMs >= baseMs)
        ? 'maxMs must be finite and at least baseMs'
        : // A counter must outlive its longest lock, or waiting the lock out would reset it.
          !(Number.isFinite(forgetAfterMs) && forgetAfterMs > maxMs)
          ? 'forgetAfterMs must be finite and above maxMs'
          : undefined;
  if (problem) throw new ValidationError(`Sign-in back-off for ${name}: ${problem}.`, { field: name });
}

/** The wait after the `failures`-th counted attempt: 0 below the threshold, then base · 2^n, capped. */
export function backoffMs(rule: BackoffRule, failures: number): number {
  if (failures < rule.threshold) return 0;
  // (The exponent is bounded so a huge count cannot overflow to Infinity before the cap.)
  return Math.min(rule.maxMs, rule.baseMs * 2 ** Math.min(failures - rule.threshold, 40));
}

/** The lock for every count an attempt at `now` may bring, up to the first one at the cap. */
export function lockSchedule(rule: BackoffRule, now: Date): LockSchedule {
  // A zero or negative base would never reach the cap: refuse it rather than loop for ever.
  assertBackoffRule(rule, 'this rule');
  const until: string[] = [];
  for (let failures = rule.threshold; ; failures++) {
    const wait = backoffMs(rule, failures);
    until.push(new Date(now.getTime() + wait).toISOString());
    if (wait >= rule.maxMs) break;
  }
  return { from: rule.threshold, until };
}

/** How long sign-in must still wait, in ms: the longest lock in force at `now`, else 0. */
export function retryAfterMs(records: readonly LoginFailureRecord[], now: Date): number {
  let wait = 0;
  for (const { lockedUntil } of records) {
    if (lockedUntil) wait = Math.max(wait, Date.parse(lockedUntil) - now.getTime());
  }
  return wait;
}

/** When a counter of this kind, counting at `now`, forgets its older attempts. */
export function forgetBefore(rule: BackoffRule, now: Date): string {
  return new Date(now.getTime() - rule.forgetAfterMs).toISOString();
}
