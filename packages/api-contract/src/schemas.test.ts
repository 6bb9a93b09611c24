import { describe, expect, it } from 'vitest';
import { comparatorSchema } from './schemas.ts';

describe('comparatorSchema', () => {
  it('a regex comparator must compile in RE2 (linear time), refused when the assignment is saved', () => {
    expect(
      comparatorSchema.safeParse({ kind: 'regex', pattern: '\\d+ (apples|pears)', flags: 'im' }).success,
    ).toBe(true);
    for (const [pattern, flags, why] of [
      ['(a)\\1', undefined, /backreferences|invalid escape/],
      ['(?=a)a', undefined, /unsupported Perl syntax/],
      ['(', undefined, /missing closing/],
      ['a', 'x', /unknown flag/],
    ] as const) {
      const parsed = comparatorSchema.safeParse({ kind: 'regex', pattern, ...(flags ? { flags } : {}) });
      expect(parsed.success, pattern).toBe(false);
      expect(parsed.error?.issues[0]).toMatchObject({
        path: ['pattern'],
        message: expect.stringMatching(why),
      });
    }
  });
});
