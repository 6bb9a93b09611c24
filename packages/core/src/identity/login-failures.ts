import type { Timestamp } from '../domain/entities.ts';

/**
 * Failed sign-ins are counted twice: per account (the username as typed, whether or not it
 * exists, so the answer never tells which do) and per client address.
 */
export type ThrottleKind = 'account' | 'address';

export interface ThrottleKey {
  kind: ThrottleKind;
  key: string;
}

/** One counter of failed sign-ins, as the store keeps it. */
export interface LoginFailureRecord extends ThrottleKey {
  failures: number;
  firstFailureAt: Timestamp;
  lastFailureAt: Timestamp;
  /** Until when sign-in is refused without looking at the password; null: not throttled. */
  lockedUntil: Timestamp | null;
}

/**
 * When a counter's sign-ins are refused, by its failure count: none below `from`, then
 * `until[count - from]`, and the last entry for every count past the end (the cap).
 */
export interface LockSchedule {
  from: number;
  until: readonly Timestamp[];
}

export interface LoginFailure {
  at: Timestamp;
  /** A counter whose last failure is older than this starts again at 1. */
  forgetBefore: Timestamp;
  lock: LockSchedule;
}

/**
 * Kept in the database, so a throttle holds across restarts and across replicas. Both dialects
 * implement it and pass the storage contract suite.
 */
export interface LoginFailureRepository {
  /**
   * Count one failure and set the counter's lock from `lock`, in one statement: two replicas
   * failing the same key at once both count (a read-then-write would lose one).
   */
  recordFailure(key: ThrottleKey, failure: LoginFailure): Promise<LoginFailureRecord>;
  /** The counters of these keys that exist. */
  find(keys: readonly ThrottleKey[]): Promise<LoginFailureRecord[]>;
  clear(key: ThrottleKey): Promise<void>;
  /** Counters whose last failure is before `before` (their locks are long over). Returns how many. */
  deleteStale(before: Timestamp): Promise<number>;
}
