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
  unprintable:
    'A password may not contain control or invisible formatting characters (line breaks, tabs, zero-width spaces, direction marks).',
  common:
    'This password is on a list of commonly used passwords that attackers try first; choose another (a few unrelated words work well).',
  context: 'A password may not be the username or the name of this service; choose another.',
};

/**
 * The form a password is checked, hashed and verified in: NFKC (NIST SP 800-63B 5.1.1.2), so "é"
 * typed as one code point or as "e" plus an accent, or a full-width "Ａ" from an IME, is the same
 * password on every keyboard.
 */
export function normalisePassword(password: string): string {
  return password.normalize('NFKC');
}

/** What is wrong with `password` (checked in its normalised form), or undefined when it is acceptable. */
export function passwordProblem(typed: string, context: PasswordContext): PasswordProblem | undefined {
  const password = normalisePassword(typed);
  // Code points, not UTF-16 units or bytes: "ü" or "🔑" is one character to the person typing it.
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return 'too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'too_long';
  // Lone surrogates too: they would be hashed as U+FFFD, so different passwords would collide.
  // Format characters (zero-width, bidi overrides) are invisible: a password that looks the same
  // on screen would not be the same.
  if (/[\p{Cc}\p{Cs}\p{Cf}]/u.test(password)) return 'unprintable';
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
  if (isNumericIdWord(password, username)) return true;
  return [username, ...SERVICE_WORDS].some((word) => {
    const wordLetters = lettersOf(word);
    return lower === word.toLowerCase() || (wordLetters !== '' && letters === wordLetters);
  });
}

const lettersOf = (text: string): string => text.toLowerCase().replace(/[^\p{L}]/gu, '');

/**
 * A username of digits only (a student ID) has no letters to compare, so: "20231234!" or
 * "2023123499" for user 20231234 — the ID with only digits and symbols around it — is refused;
 * a passphrase that merely contains it is not.
 */
function isNumericIdWord(password: string, username: string): boolean {
  if (!/^\d+$/.test(username) || lettersOf(password) !== '') return false;
  return password.replace(/\D/g, '').includes(username);
}
