import { describe, expect, it } from 'vitest';
import {
  assertBackoffPolicy,
  type BackoffRule,
  backoffMs,
  DEFAULT_LOGIN_BACKOFF,
  forgetBefore,
  lockSchedule,
  retryAfterMs,
} from './login-backoff.ts';
import type { LoginFailureRecord } from './login-failures.ts';

const rule: BackoffRule = { threshold: 5, baseMs: 1000, maxMs: 15 * 60_000, forgetAfterMs: 3_600_000 };
const now = new Date('2026-03-01T12:00:00.000Z');
const plus = (ms: number) => new Date(now.getTime() + ms).toISOString();

describe('backoffMs', () => {
  it('waits nothing below the threshold, then doubles from 1 s up to the 15 min cap', () => {
    const waits = [1, 4, 5, 6, 7, 8, 14, 15, 16, 1_000_000].map((n) => backoffMs(rule, n));
    expect(waits).toEqual([0, 0, 1000, 2000, 4000, 8000, 512_000, 900_000, 900_000, 900_000]);
  });

  it('is a back-off, never a permanent lock: every wait is at most the cap', () => {
    for (const r of Object.values(DEFAULT_LOGIN_BACKOFF)) {
      expect(backoffMs(r, Number.MAX_SAFE_INTEGER)).toBe(r.maxMs);
      expect(r.maxMs).toBeLessThanOrEqual(15 * 60_000);
      // A counter must outlive its longest lock, or waiting the lock out would reset it.
      expect(r.forgetAfterMs).toBeGreaterThan(r.maxMs);
    }
  });

  it('lets a shared address fail more often than one account before it throttles', () => {
    const { pair, account, address } = DEFAULT_LOGIN_BACKOFF;
    expect(pair.threshold).toBe(5);
    expect(address.threshold).toBeGreaterThanOrEqual(20);
    expect(account.threshold).toBe(50);
  });

  it('keeps one address from holding the account-wide lock: its lock is shorter than the pair’s gap', () => {
    const { pair, account } = DEFAULT_LOGIN_BACKOFF;
    // One address at its pair cap guesses once per pair.maxMs; each guess locks the account for
    // at most account.maxMs, so the owner (elsewhere) is refused at most that share of the time.
    expect(account.maxMs / pair.maxMs).toBeLessThanOrEqual(1 / 3);
    // Failures one address can make before the account threshold: the pair's free ones, the
    // doubling steps up to its cap, then one per cap — over 9 hours of non-stop guessing.
    let failures = pair.threshold;
    let elapsed = 0;
    while (failures < account.threshold) {
      elapsed += backoffMs(pair, failures);
      failures++;
    }
    expect(elapsed).toBeGreaterThan(9 * 3_600_000);
  });
});

describe('lockSchedule', () => {
  it('names the lock for each count from the threshold to the first capped one', () => {
    const schedule = lockSchedule(rule, now);
    expect(schedule.from).toBe(5);
    expect(schedule.until.slice(0, 3)).toEqual([plus(1000), plus(2000), plus(4000)]);
    expect(schedule.until).toHaveLength(11);
    expect(schedule.until.at(-1)).toBe(plus(900_000));
  });

  it('has one entry when the very first wait is the cap', () => {
    expect(lockSchedule({ ...rule, baseMs: 900_000 }, now).until).toEqual([plus(900_000)]);
  });

  it('refuses a rule that would never reach its cap instead of looping for ever', () => {
    expect(() => lockSchedule({ ...rule, baseMs: 0 }, now)).toThrow(/baseMs must be above 0/);
    expect(() => lockSchedule({ ...rule, baseMs: -5 }, now)).toThrow(/baseMs/);
    expect(() => lockSchedule({ ...rule, baseMs: Number.NaN }, now)).toThrow(/baseMs/);
  });
});

describe('assertBackoffPolicy', () => {
  it('accepts the default and names the first bad rule', () => {
    expect(() => assertBackoffPolicy(DEFAULT_LOGIN_BACKOFF)).not.toThrow();
    const bad = (over: Partial<BackoffRule>) => () =>
      assertBackoffPolicy({ ...DEFAULT_LOGIN_BACKOFF, address: { ...rule, ...over } });
    expect(bad({ threshold: 0 })).toThrow(/address: threshold/);
    expect(bad({ maxMs: Number.POSITIVE_INFINITY })).toThrow(/address: maxMs/);
    expect(bad({ maxMs: 500 })).toThrow(/address: maxMs/);
    expect(bad({ forgetAfterMs: rule.maxMs })).toThrow(/address: forgetAfterMs/);
  });
});

describe('retryAfterMs', () => {
  const record = (lockedUntil: string | null): LoginFailureRecord => ({
    kind: 'account',
    key: 'alice',
    failures: 5,
    firstFailureAt: plus(-10_000),
    lastFailureAt: plus(-1),
    lockedUntil,
  });

  it('is the longest lock still in force, and 0 when none is', () => {
    expect(retryAfterMs([], now)).toBe(0);
    expect(retryAfterMs([record(null), record(plus(-1))], now)).toBe(0);
    expect(retryAfterMs([record(plus(3000)), record(null), record(plus(8000))], now)).toBe(8000);
  });
});

describe('forgetBefore', () => {
  it('is the rule’s memory before now', () => {
    expect(forgetBefore(rule, now)).toBe(plus(-3_600_000));
  });
});
