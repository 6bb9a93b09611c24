import { RateLimitedError } from '../errors.ts';
import { forgetBefore, type LoginBackoffPolicy, lockSchedule, retryAfterMs } from './login-backoff.ts';
import type { LoginFailureRepository, ThrottleKey } from './login-failures.ts';

/** How often old counters are swept (by whichever replica fails a sign-in first after it). */
const PRUNE_EVERY_MS = 3_600_000;

/** The sign-in attempt being guarded: the username as typed and the client's address, if known. */
export interface LoginAttempt {
  username: string;
  address?: string | undefined;
}

/**
 * Throttles password sign-in with the back-off policy, counting in the store. `check` runs before
 * the password is looked at, so a throttled attempt also costs no scrypt.
 */
export class LoginGuard {
  private lastPrune = 0;

  constructor(
    private readonly failures: LoginFailureRepository,
    private readonly policy: LoginBackoffPolicy,
  ) {}

  /** Throws RateLimitedError (with `retryAfterSeconds`) while any of the attempt's counters is locked. */
  async check(attempt: LoginAttempt, now: Date): Promise<void> {
    const wait = retryAfterMs(await this.failures.find(keysOf(attempt)), now);
    if (wait <= 0) return;
    const retryAfterSeconds = Math.ceil(wait / 1000);
    throw new RateLimitedError(`Too many failed sign-ins; try again in ${describeWait(retryAfterSeconds)}.`, {
      retryAfterSeconds,
    });
  }

  async failed(attempt: LoginAttempt, now: Date): Promise<void> {
    const at = now.toISOString();
    await Promise.all(
      keysOf(attempt).map((key) => {
        const rule = this.policy[key.kind];
        const failure = { at, forgetBefore: forgetBefore(rule, now), lock: lockSchedule(rule, now) };
        return this.failures.recordFailure(key, failure);
      }),
    );
    await this.pruneNowAndThen(now);
  }

  /**
   * A correct password clears the account's counter, not the address's: else one account of
   * their own would let an attacker reset their address between guesses at others.
   */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    await this.failures.clear({ kind: 'account', key: attempt.username });
  }

  private async pruneNowAndThen(now: Date): Promise<void> {
    if (now.getTime() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now.getTime();
    const longest = Math.max(this.policy.account.forgetAfterMs, this.policy.address.forgetAfterMs);
    await this.failures.deleteStale(new Date(now.getTime() - longest).toISOString());
  }
}

function keysOf(attempt: LoginAttempt): ThrottleKey[] {
  const keys: ThrottleKey[] = [{ kind: 'account', key: attempt.username }];
  if (attempt.address) keys.push({ kind: 'address', key: attempt.address });
  return keys;
}

function describeWait(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
