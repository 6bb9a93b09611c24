import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../demo-seed.ts';
import { commonPasswordCount, commonPasswordList } from './common-passwords.ts';

describe('commonPasswordList', () => {
  it('is a list of tens of thousands of breached passwords', () => {
    expect(commonPasswordCount()).toBeGreaterThan(10_000);
  });

  it('holds the usual suspects, in any case', () => {
    for (const password of ['password', '12345678', 'qwertyuiop', 'iloveyou', 'Password1', 'TRUSTNO1'])
      expect(commonPasswordList.has(password), password).toBe(true);
  });

  it('does not hold the demo password or a passphrase', () => {
    expect(commonPasswordList.has(DEMO_PASSWORD)).toBe(false);
    expect(commonPasswordList.has('correct horse battery staple')).toBe(false);
  });
});
