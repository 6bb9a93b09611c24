import type { ApiToken, GlobalRole, User } from '../domain/entities.ts';
import { ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../errors.ts';
import { DEFAULT_LOGIN_BACKOFF, type LoginBackoffPolicy } from '../identity/login-backoff.ts';
import { type LoginAttempt, LoginGuard } from '../identity/login-guard.ts';
import {
  assertAcceptablePassword,
  type CommonPasswords,
  NO_COMMON_PASSWORDS,
  normalisePassword,
} from '../identity/password-policy.ts';
import { type Actor, canManageUsers } from '../policy/authz.ts';
import type { Logger } from '../ports.ts';
import { type CoreDeps, isoNow } from './deps.ts';

/** A session cookie's lifetime; it is not extended by use (sign in again after it). */
export const SESSION_DAYS = 14;
const DAY_MS = 86_400_000;
const USERNAME = /^[a-zA-Z0-9._@-]{1,64}$/;

/** How often a sign-in also deletes expired sessions. */
const SESSION_SWEEP_EVERY_MS = 60 * 60_000;

export interface AuthOptions {
  /** The list of common and breached passwords new passwords are checked against. */
  commonPasswords?: CommonPasswords;
  loginBackoff?: LoginBackoffPolicy;
  /** Where housekeeping that must not fail a sign-in (sweeping old counters) reports trouble. */
  logger?: Logger;
}

export interface NewUserInput {
  username: string;
  password?: string | undefined;
  displayName?: string | undefined;
  email?: string | null | undefined;
  role?: GlobalRole | undefined;
}

export type PublicUser = Omit<User, 'passwordHash'>;

export const toPublicUser = ({ passwordHash: _hash, ...user }: User): PublicUser => user;

export class AuthService {
  private readonly guard: LoginGuard;
  private readonly commonPasswords: CommonPasswords;
  private unknownUserHash: Promise<string> | undefined;
  private readonly logger: Logger | undefined;
  private lastSessionSweep = 0;

  constructor(
    private readonly deps: CoreDeps,
    options: AuthOptions = {},
  ) {
    this.guard = new LoginGuard(
      deps.store.loginFailures,
      options.loginBackoff ?? DEFAULT_LOGIN_BACKOFF,
      options.logger,
    );
    this.commonPasswords = options.commonPasswords ?? NO_COMMON_PASSWORDS;
    this.logger = options.logger;
  }

  /**
   * Sign in with a password. An unknown username, a password-less account and a wrong password
   * get the same error after the same work (one scrypt verification), so neither the answer nor
   * its timing tells who has an account. The attempt is counted before the password is looked at
   * (identity/login-guard.ts), so throttled attempts (RateLimitedError) cost no scrypt, and
   * parallel guesses cannot pass the threshold together.
   */
  async login(
    username: string,
    password: string,
    from: Pick<LoginAttempt, 'address'> = {},
  ): Promise<{ sessionSecret: string; user: User; expiresAt: string }> {
    const attempt: LoginAttempt = { username, address: from.address };
    const ticket = await this.guard.reserve(attempt, this.deps.clock.now());
    const user = await this.deps.store.users.getByUsername(username);
    const hash = user?.passwordHash ?? (await this.dummyHash());
    const ok = await this.verify(password, hash);
    if (!user?.passwordHash || !ok) {
      await this.guard.failed(ticket, this.deps.clock.now());
      throw new UnauthenticatedError('Wrong username or password.');
    }
    await this.guard.succeeded(ticket);
    const sessionSecret = this.deps.ids.secret(32);
    const now = this.deps.clock.now();
    const expiresAt = new Date(now.getTime() + SESSION_DAYS * DAY_MS).toISOString();
    await this.deps.store.sessions.insert({
      idHash: this.deps.hasher.digest(sessionSecret),
      userId: user.id,
      createdAt: now.toISOString(),
      expiresAt,
    });
    await this.sweepExpiredSessionsNowAndThen(now);
    return { sessionSecret, user, expiresAt };
  }

  /**
   * An expired session is refused anyway; deleting them keeps the table from growing with every
   * sign-in. At most once an hour per process, on a sign-in, and never at the sign-in's expense.
   */
  private async sweepExpiredSessionsNowAndThen(now: Date): Promise<void> {
    if (now.getTime() - this.lastSessionSweep < SESSION_SWEEP_EVERY_MS) return;
    this.lastSessionSweep = now.getTime();
    try {
      await this.deps.store.sessions.deleteExpired(now.toISOString());
    } catch (error) {
      this.logger?.warn({ err: error }, 'deleting expired sessions failed; trying again later');
    }
  }

  /**
   * What an unknown user's password is checked against: made once, by the same hasher (so with the
   * same parameters), never per attempt, which would double the work and give the unknown away.
   */
  private dummyHash(): Promise<string> {
    // A failure is not kept: a cached rejection would answer every unknown user with a 500 while
    // known users get 401 — an oracle for who has an account. The next call tries again.
    this.unknownUserHash ??= this.deps.hasher.hashPassword(this.deps.ids.secret(16)).catch((error) => {
      this.unknownUserHash = undefined;
      throw error;
    });
    return this.unknownUserHash;
  }

  /**
   * Passwords are hashed in NFKC form since the policy landed. A hash made before may be of a typed
   * form NFKC changes (only a non-ASCII password: NFKC leaves ASCII as it is), so when the
   * normalised form does not match, the password as typed is tried too. Unknown users take the
   * same path against the stand-in hash, so the extra work tells nothing.
   */
  private async verify(password: string, hash: string): Promise<boolean> {
    const normalised = normalisePassword(password);
    if (await this.deps.hasher.verifyPassword(normalised, hash)) return true;
    return normalised !== password && this.deps.hasher.verifyPassword(password, hash);
  }

  async logout(sessionSecret: string): Promise<void> {
    await this.deps.store.sessions.delete(this.deps.hasher.digest(sessionSecret));
  }

  authenticateSession(sessionSecret: string): Promise<User | undefined> {
    return this.authenticateSessionId(this.deps.hasher.digest(sessionSecret));
  }

  /** The same by the session's store key (what a lab link names, never the cookie itself). */
  async authenticateSessionId(idHash: string): Promise<User | undefined> {
    const session = await this.deps.store.sessions.get(idHash);
    if (!session || session.expiresAt <= isoNow(this.deps.clock)) return undefined;
    return this.deps.store.users.get(session.userId);
  }

  async authenticateToken(secret: string): Promise<User | undefined> {
    const token = await this.deps.store.tokens.getByHash(this.deps.hasher.digest(secret));
    const now = isoNow(this.deps.clock);
    if (!token || (token.expiresAt !== null && token.expiresAt <= now)) return undefined;
    await this.deps.store.tokens.touch(token.id, now);
    return this.deps.store.users.get(token.userId);
  }

  async createToken(
    actor: Actor,
    name: string,
    options: { expiresInDays?: number | undefined; secret?: string } = {},
  ): Promise<{ token: string; record: ApiToken }> {
    if (name.trim() === '' || name.length > 100)
      throw new ValidationError('A token needs a name of 1–100 characters.');
    const secret = options.secret ?? `apt_${this.deps.ids.secret(32)}`;
    const now = this.deps.clock.now();
    const record: ApiToken = {
      id: this.deps.ids.next('tok'),
      userId: actor.userId,
      name: name.trim(),
      tokenHash: this.deps.hasher.digest(secret),
      createdAt: now.toISOString(),
      lastUsedAt: null,
      expiresAt: options.expiresInDays
        ? new Date(now.getTime() + options.expiresInDays * DAY_MS).toISOString()
        : null,
    };
    await this.deps.store.tokens.insert(record);
    return { token: secret, record };
  }

  listTokens(actor: Actor): Promise<ApiToken[]> {
    return this.deps.store.tokens.listByUser(actor.userId);
  }

  async deleteToken(actor: Actor, id: string): Promise<void> {
    if (!(await this.deps.store.tokens.delete(id, actor.userId))) throw new NotFoundError('Token', id);
  }

  async createUser(actor: Actor | 'system', input: NewUserInput): Promise<User> {
    if (actor !== 'system' && !canManageUsers(actor))
      throw new ForbiddenError('Only an admin can create users.');
    if (!USERNAME.test(input.username)) {
      throw new ValidationError('A username is 1–64 letters, digits or . _ @ -.', { field: 'username' });
    }
    if (input.password !== undefined) this.checkPassword(input.password, input.username);
    const user: User = {
      id: this.deps.ids.next('usr'),
      username: input.username,
      displayName: input.displayName?.trim() || input.username,
      email: input.email ?? null,
      role: input.role ?? 'user',
      passwordHash: input.password
        ? await this.deps.hasher.hashPassword(normalisePassword(input.password))
        : null,
      createdAt: isoNow(this.deps.clock),
    };
    await this.deps.store.users.insert(user);
    return user;
  }

  async setPassword(actor: Actor, userId: string, password: string): Promise<void> {
    if (actor.userId !== userId && !canManageUsers(actor)) throw new ForbiddenError();
    const user = await this.deps.store.users.get(userId);
    if (!user) throw new NotFoundError('User', userId);
    this.checkPassword(password, user.username);
    await this.deps.store.users.update(userId, {
      passwordHash: await this.deps.hasher.hashPassword(normalisePassword(password)),
    });
  }

  /** The password policy (identity/password-policy.ts), wherever a password is set. */
  checkPassword(password: string, username: string): void {
    assertAcceptablePassword(password, { username, common: this.commonPasswords });
  }

  async listUsers(actor: Actor): Promise<PublicUser[]> {
    if (!canManageUsers(actor)) throw new ForbiddenError('Only an admin can list users.');
    return (await this.deps.store.users.list()).map(toPublicUser);
  }

  /**
   * First start: with no users, create the admin. A bootstrap token (for automation) becomes that
   * admin's API token; a password lets a human sign in. Later starts change nothing.
   */
  async bootstrap(options: {
    adminUsername: string;
    adminPassword?: string | undefined;
    token?: string | undefined;
  }): Promise<{ created: false } | { created: true; user: User }> {
    // The server calls this once at start: make the unknown-user hash now, not on a first attempt.
    await this.dummyHash();
    if ((await this.deps.store.users.count()) > 0) return { created: false };
    const user = await this.createUser('system', {
      username: options.adminUsername,
      password: options.adminPassword,
      role: 'admin',
      displayName: 'Administrator',
    });
    if (options.token) {
      await this.createToken({ userId: user.id, role: 'admin' }, 'bootstrap', { secret: options.token });
    }
    return { created: true, user };
  }
}
