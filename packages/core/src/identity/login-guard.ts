import { RateLimitedError } from '../errors.ts';
import type { Logger } from '../ports.ts';
import {
  assertBackoffPolicy,
  forgetBefore,
  type LoginBackoffPolicy,
  lockSchedule,
  retryAfterMs,
} from './login-backoff.ts';
import type {
  LoginFailureRecord,
  LoginFailureRepository,
  ThrottleKey,
  ThrottleKind,
} from './login-failures.ts';

/** How often old counters are swept (by whichever replica fails a sign-in first after it). */
const PRUNE_EVERY_MS = 3_600_000;

/** The sign-in attempt being guarded: the username as typed and the client's address, if known. */
export interface LoginAttempt {
  username: string;
  address?: string | undefined;
}

/** An attempt that holds a reservation on its counters, until it fails or succeeds. */
export interface LoginTicket {
  readonly attempt: LoginAttempt;
  readonly now: Date;
  /** The counters this attempt was counted on (the address only for a username new to it). */
  readonly counted: readonly ThrottleKey[];
}

/**
 * Throttles password sign-in with the back-off policy, counting in the store. `reserve` counts
 * the attempt before the password is looked at — so parallel guesses cannot all slip through
 * between a check and a count, and a throttled attempt costs no scrypt — and a success gives the
 * reservation back.
 */
export class LoginGuard {
  private lastPrune = 0;

  constructor(
    private readonly failures: LoginFailureRepository,
    private readonly policy: LoginBackoffPolicy,
    private readonly logger?: Logger,
  ) {
    assertBackoffPolicy(policy);
  }

  /** Counts the attempt, or throws RateLimitedError (with `retryAfterSeconds`) and counts nothing. */
  async reserve(attempt: LoginAttempt, now: Date): Promise<LoginTicket> {
    const { pair, account, address } = keysOf(attempt);
    // Most refused attempts of a guessing burst stop at this read and write nothing.
    refuseWhileLocked(await this.failures.find(address ? [pair, account, address] : [pair, account]), now);
    const counted: ThrottleKey[] = [];
    const reservePair = await this.take(pair, now, counted);
    await this.take(account, now, counted);
    // Only a username new to this address counts on it: one student's typos at their own account
    // never throttle the classroom's shared address; trying many usernames does.
    if (address && reservePair.failures === 1) await this.take(address, now, counted);
    return { attempt, now, counted };
  }

  async failed(_ticket: LoginTicket, now: Date): Promise<void> {
    // The failure was counted by `reserve`; here only the housekeeping, which must never turn a
    // 401 into a 500.
    try {
      await this.pruneNowAndThen(now);
    } catch (error) {
      this.logger?.warn({ err: error }, 'sweeping old sign-in counters failed; trying again later');
    }
  }

  /**
   * A correct password clears its own pair (the owner's typos from this address) and gives back
   * its reservation on the account and the address, but does not wipe the account's count: else
   * each sign-in of the owner would hand a distributed guesser a fresh allowance.
   */
  async succeeded({ attempt, now, counted }: LoginTicket): Promise<void> {
    const { pair } = keysOf(attempt);
    await this.failures.clear(pair);
    await Promise.all(counted.filter((key) => key.kind !== 'pair').map((key) => this.giveBack(key, now)));
  }

  /** Reserve one counter; when it refuses, give back what this attempt already reserved. */
  private async take(key: ThrottleKey, now: Date, counted: ThrottleKey[]): Promise<LoginFailureRecord> {
    const rule = this.policy[key.kind];
    const reservation = {
      at: now.toISOString(),
      forgetBefore: forgetBefore(rule, now),
      lock: lockSchedule(rule, now),
    };
    const { allowed, record } = await this.failures.reserve(key, reservation);
    if (allowed) {
      counted.push(key);
      return record;
    }
    await Promise.all(counted.map((taken) => this.giveBack(taken, now)));
    throw rateLimited(Math.max(retryAfterMs([record], now), 1));
  }

  private giveBack(key: ThrottleKey, now: Date): Promise<void> {
    return this.failures.release(key, lockSchedule(this.policy[key.kind], now));
  }

  private async pruneNowAndThen(now: Date): Promise<void> {
    if (now.getTime() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now.getTime();
    const longest = Math.max(...Object.values(this.policy).map((rule) => rule.forgetAfterMs));
    await this.failures.deleteStale(new Date(now.getTime() - longest).toISOString());
  }
}

/** The attempt's counters. A pair's key names the username first, so an operator can match it. */
export function keysOf(attempt: LoginAttempt): Record<Exclude<ThrottleKind, 'address'>, ThrottleKey> & {
  address?: ThrottleKey;
} {
  const pair: ThrottleKey = {
    kind: 'pair',
    key: JSON.stringify([attempt.username, attempt.address ?? null]),
  };
  const account: ThrottleKey = { kind: 'account', key: attempt.username };
  return attempt.address
    ? { pair, account, address: { kind: 'address', key: attempt.address } }
    : { pair, account };
}

/** Throws RateLimitedError while any of these counters is locked at `now`. */
function refuseWhileLocked(records: readonly LoginFailureRecord[], now: Date): void {
  const wait = retryAfterMs(records, now);
  if (wait > 0) throw rateLimited(wait);
}

function rateLimited(waitMs: number): RateLimitedError {
  const retryAfterSeconds = Math.ceil(waitMs / 1000);
  return new RateLimitedError(`Too many failed sign-ins; try again in ${describeWait(retryAfterSeconds)}.`, {
    retryAfterSeconds,
  });
}

function describeWait(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
