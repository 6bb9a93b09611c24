import type { Timestamp } from '../domain/entities.ts';

/**
 * Sign-in attempts are counted three ways. `pair`: one username from one client address — the
 * fast back-off, so one hostile address locks only itself out of that account. `account`: the
 * username as typed, from everywhere (existing or not, so the answers never tell which do) — a
 * much higher threshold that slows a guesser spread over many addresses. `address`: the distinct
 * usernames one address tries — slows password spraying (one guess at each of many accounts).
 */
export type ThrottleKind = 'pair' | 'account' | 'address';

export interface ThrottleKey {
  kind: ThrottleKind;
  key: string;
}

/** One counter of sign-in attempts, as the store keeps it. */
export interface LoginFailureRecord extends ThrottleKey {
  /** Attempts counted: reserved before the password is checked; a successful one is given back. */
  failures: number;
  firstFailureAt: Timestamp;
  lastFailureAt: Timestamp;
  /** Until when sign-in is refused without looking at the password; null: not throttled. */
  lockedUntil: Timestamp | null;
}

/**
 * When a counter's sign-ins are refused, by its count: none below `from`, then
 * `until[count - from]`, and the last entry for every count past the end (the cap).
 */
export interface LockSchedule {
  from: number;
  until: readonly Timestamp[];
}

export interface LoginReservation {
  at: Timestamp;
  /** A counter whose last counted attempt is older than this starts again at 1. */
  forgetBefore: Timestamp;
  lock: LockSchedule;
}

export interface ReservedAttempt {
  /** False: the counter was locked at `at`; it was left exactly as it was. */
  allowed: boolean;
  record: LoginFailureRecord;
}

/**
 * Kept in the database, so a throttle holds across restarts and across replicas. Both dialects
 * implement it and pass the storage contract suite.
 */
export interface LoginFailureRepository {
  /**
   * In one statement: if the counter is locked at `at`, refuse and change nothing (a refused
   * attempt neither counts nor pushes the lock further out); else count the attempt and set the
   * lock `lock` names for the new count. Decided on the row the database updates, so two replicas
   * reserving the same key at once can never both pass the threshold.
   */
  reserve(key: ThrottleKey, reservation: LoginReservation): Promise<ReservedAttempt>;
  /** Give back one reserved attempt (it succeeded, or another counter refused it). */
  release(key: ThrottleKey, lock: LockSchedule): Promise<void>;
  /** The counters of these keys that exist. */
  find(keys: readonly ThrottleKey[]): Promise<LoginFailureRecord[]>;
  clear(key: ThrottleKey): Promise<void>;
  /** Counters whose last counted attempt is before `before` (their locks are long over). Returns how many. */
  deleteStale(before: Timestamp): Promise<number>;
}
