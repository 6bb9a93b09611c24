import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import {
  assertAcceptablePassword,
  type CommonPasswords,
  normalisePassword,
  PASSWORD_MAX_LENGTH,
  passwordProblem,
} from './password-policy.ts';

const common: CommonPasswords = new Set(['password', '12345678', 'iloveyou']);
const check = (password: string, username = 'alice') => passwordProblem(password, { username, common });

describe('passwordProblem', () => {
  it('accepts long passphrases with spaces, Unicode and no composition rules', () => {
    for (const ok of [
      'correct horse battery staple',
      'zzzzzzzz',
      'ünïcødé!',
      'パスワードは長いです',
      ' leading and trailing ',
      'x'.repeat(PASSWORD_MAX_LENGTH),
    ]) {
      expect(check(ok), ok).toBeUndefined();
    }
  });

  it('counts characters (code points), not UTF-16 units or bytes', () => {
    // Four emoji are eight UTF-16 units and sixteen bytes, but four characters.
    expect(check('🔑🔑🔑🔑')).toBe('too_short');
    expect(check('🔑🔑🔑🔑🔑🔑🔑🔑')).toBeUndefined();
    expect(check('äöüäöüä')).toBe('too_short');
    expect(check('🔑'.repeat(PASSWORD_MAX_LENGTH))).toBeUndefined();
    expect(check('x'.repeat(PASSWORD_MAX_LENGTH + 1))).toBe('too_long');
  });

  it('refuses control characters, lone surrogates and invisible format characters', () => {
    expect(check('line one\nline two')).toBe('unprintable');
    expect(check('tab\tseparated')).toBe('unprintable');
    expect(check('broken \ud800 half')).toBe('unprintable');
    expect(check('zero\u200bwidth space')).toBe('unprintable');
    expect(check('bidi \u202eoverride')).toBe('unprintable');
    expect(check('byte order \ufeffmark')).toBe('unprintable');
  });

  it('checks the NFKC form, the one that is hashed', () => {
    expect(normalisePassword('e\u0301te\u0301 en Provence')).toBe('\u00e9t\u00e9 en Provence');
    expect(normalisePassword('ＰＡＳＳＷＯＲＤ')).toBe('PASSWORD');
    // Full-width letters from an IME are the common password once normalised.
    expect(check('ｐａｓｓｗｏｒｄ')).toBe('common');
    expect(check('ａｌｉｃｅ２０２４')).toBe('context');
    // A ligature is two letters: "ﬀ" + 6 is 8 characters after NFKC, not 7.
    expect(check('\ufb00abcdef')).toBeUndefined();
    expect(normalisePassword('plain ascii ~!@#')).toBe('plain ascii ~!@#');
  });

  it('refuses passwords on the common list, whatever their case', () => {
    expect(check('password')).toBe('common');
    expect(check('PassWord')).toBe('common');
    expect(check('12345678')).toBe('common');
    expect(check('password-plus-more')).toBeUndefined();
  });

  it('refuses the username, the service name, and either dressed up with digits and symbols', () => {
    expect(check('alice-in-chains', 'alice-in-chains')).toBe('context');
    expect(check('Alice2024!', 'alice')).toBe('context');
    expect(check('aperture')).toBe('context');
    expect(check('Aperture123!')).toBe('context');
    // A passphrase that merely contains the word is a different password.
    expect(check('aperture-demo-sunrise')).toBeUndefined();
    expect(check('12345678901', '12345678901')).toBe('context');
  });

  it('treats a digits-only username (a student ID) as a context word too', () => {
    expect(check('20231234!', '20231234')).toBe('context');
    expect(check('#2023-1234#', '20231234')).toBe('context');
    expect(check('2023123499', '20231234')).toBe('context');
    expect(check('my id is 20231234 ok', '20231234')).toBeUndefined();
    expect(check('20231234!', '99999999')).toBeUndefined();
  });
});

describe('assertAcceptablePassword', () => {
  it('throws a ValidationError naming the field, the reason and what to do', () => {
    const refuse = () => assertAcceptablePassword('password', { username: 'alice', common });
    expect(refuse).toThrow(ValidationError);
    expect(refuse).toThrow(/list of commonly used passwords/);
    try {
      refuse();
    } catch (error) {
      expect(error).toMatchObject({
        code: 'validation_failed',
        details: { field: 'password', reason: 'common' },
      });
    }
  });
});
