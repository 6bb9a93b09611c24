import { ValidationError } from '../errors.ts';

/**
 * Passwords after NIST SP 800-63B (5.1.1.2): length is what makes one strong, so there are no
 * composition rules (they push people to "Password1!"); every printable character, Unicode and
 * spaces included, is allowed, so a passphrase works; and known-bad passwords are refused: those on
 * a list of common and breached ones, and words of this context (the username, the service name).
 */
export const PASSWORD_MIN_LENGTH = 8;
/** NIST asks for at least 64; more costs nothing but a little scrypt input. */
export const PASSWORD_MAX_LENGTH = 256;

/** Names of this service a password must not be (nor be made of, plus digits and symbols). */
const SERVICE_WORDS = ['aperture'];

/** Passwords attackers try first. The server loads a list from a package; core only asks. */
export interface CommonPasswords {
  /** Whether `password` (compared lower-cased) is on the list. */
  has(password: string): boolean;
}

export const NO_COMMON_PASSWORDS: CommonPasswords = { has: () => false };

export type PasswordProblem = 'too_short' | 'too_long' | 'unprintable' | 'common' | 'context';

export interface PasswordContext {
  username: string;
  common: CommonPasswords;
}

const MESSAGES: Record<PasswordProblem, string> = {
  too_short: `A password needs at least ${PASSWORD_MIN_LENGTH} characters; a few unrelated words make one that is long and easy to remember.`,
  too_long: `A password may have at most ${PASSWORD_MAX_LENGTH} characters.`,
  unprintable: 'A password may not contain control characters such as line breaks or tabs.',
  common:
    'This password is on a list of commonly used passwords that attackers try first; choose another (a few unrelated words work well).',
  context: 'A password may not be the username or the name of this service; choose another.',
};

/** What is wrong with `password`, or undefined when it is acceptable. */
export function passwordProblem(password: string, context: PasswordContext): PasswordProblem | undefined {
  // Code points, not UTF-16 units or bytes: "ü" or "🔑" is one character to the person typing it.
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return 'too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'too_long';
  // Lone surrogates too: they would be hashed as U+FFFD, so different passwords would collide.
  if (/[\p{Cc}\p{Cs}]/u.test(password)) return 'unprintable';
  if (context.common.has(password.toLowerCase())) return 'common';
  if (isContextWord(password, context.username)) return 'context';
  return undefined;
}

/** Throws a ValidationError (`details.reason` = the problem) unless `password` is acceptable. */
export function assertAcceptablePassword(password: string, context: PasswordContext): void {
  const problem = passwordProblem(password, context);
  if (problem) throw new ValidationError(MESSAGES[problem], { field: 'password', reason: problem });
}

/** "alice", "Alice2024!" and "aperture123" are the context word dressed up, not a new password. */
function isContextWord(password: string, username: string): boolean {
  const lower = password.toLowerCase();
  const letters = lettersOf(password);
  return [username, ...SERVICE_WORDS].some((word) => {
    const wordLetters = lettersOf(word);
    return lower === word.toLowerCase() || (wordLetters !== '' && letters === wordLetters);
  });
}

const lettersOf = (text: string): string => text.toLowerCase().replace(/[^\p{L}]/gu, '');
