import type { LockSchedule, LoginFailureRecord, ThrottleKind } from './login-failures.ts';

/**
 * Back-off, never a permanent lock: a lockout anyone can trigger by typing a username would let
 * an attacker keep a real user out for good. Past `threshold` failures each further failure
 * doubles the wait, from `baseMs` up to `maxMs`; a counter forgets after `forgetAfterMs` without
 * failures. The price: while someone keeps guessing, the account's owner also waits up to
 * `maxMs` between attempts (API tokens and existing sessions keep working).
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
  // A day's memory: an attacker who pauses gets few fresh guesses; a user's rare typos cost nothing.
  account: { threshold: 5, baseMs: 1000, maxMs: 15 * MINUTE, forgetAfterMs: 24 * HOUR },
  // Higher and shorter: one NAT'd classroom shares an address, and its typos must not add up
  // over a day to lock every student out.
  address: { threshold: 20, baseMs: 1000, maxMs: 15 * MINUTE, forgetAfterMs: HOUR },
};

/** The wait after the `failures`-th failure: 0 below the threshold, then base · 2^n, capped. */
export function backoffMs(rule: BackoffRule, failures: number): number {
  if (failures < rule.threshold) return 0;
  // (The exponent is bounded so a huge count cannot overflow to Infinity before the cap.)
  return Math.min(rule.maxMs, rule.baseMs * 2 ** Math.min(failures - rule.threshold, 40));
}

/** The lock for every count a failure at `now` may bring, up to the first one at the cap. */
export function lockSchedule(rule: BackoffRule, now: Date): LockSchedule {
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

/** When a counter of this kind, failing at `now`, forgets its older failures. */
export function forgetBefore(rule: BackoffRule, now: Date): string {
  return new Date(now.getTime() - rule.forgetAfterMs).toISOString();
}
