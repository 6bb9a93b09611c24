import { describe, expect, it } from 'vitest';
import { checkerVerdict, compareOutput, normaliseWhitespace } from './compare.ts';

describe('compareOutput', () => {
  it('exact accepts only identical output and names the first differing line', () => {
    expect(compareOutput({ kind: 'exact' }, 'a\nb\n', 'a\nb\n').verdict).toBe('accepted');
    const wrong = compareOutput({ kind: 'exact' }, 'a\nx\n', 'a\nb\n');
    expect(wrong).toEqual({
      verdict: 'wrong_answer',
      message: 'Output differs from the expected output at line 2.',
    });
    expect(compareOutput({ kind: 'exact' }, 'a\nb', 'a\nb\n').verdict).toBe('wrong_answer');
    expect(compareOutput({ kind: 'exact' }, 'a', 'a\nb\nc').message).toMatch(/line 2 is missing/);
    expect(compareOutput({ kind: 'exact' }, 'a\nb\nc', 'a').message).toMatch(/extra lines from line 2/);
  });

  it('never quotes the expected output in a message', () => {
    const result = compareOutput({ kind: 'exact' }, 'nope', 'SECRET-ANSWER');
    expect(result.message).not.toContain('SECRET');
  });

  it('whitespace collapses runs and trims', () => {
    expect(normaliseWhitespace('  1 \t 2\n\n3  \n')).toBe('1 2 3');
    expect(compareOutput({ kind: 'whitespace' }, '1  2\r\n3\n\n', '1 2 3').verdict).toBe('accepted');
    expect(compareOutput({ kind: 'whitespace' }, '12 3', '1 2 3').verdict).toBe('wrong_answer');
  });

  it('regex must match the whole output', () => {
    const re = (pattern: string, flags?: string) =>
      flags === undefined
        ? ({ kind: 'regex', pattern } as const)
        : ({ kind: 'regex', pattern, flags } as const);
    expect(compareOutput(re('\\d+'), '42', '').verdict).toBe('accepted');
    expect(compareOutput(re('\\d+'), '42\n', '').verdict).toBe('accepted'); // one final newline is fine
    expect(compareOutput(re('\\d+'), 'x42', '').verdict).toBe('wrong_answer');
    expect(compareOutput(re('\\d+'), '42x', '').verdict).toBe('wrong_answer');
    expect(compareOutput(re('a|ab'), 'ab', '').verdict).toBe('accepted'); // backtracks to the full match
    expect(compareOutput(re('hello', 'i'), 'HeLLo', '').verdict).toBe('accepted');
    // With `m`, ^/$ match at lines, but the match must still cover the whole output.
    expect(compareOutput(re('^a$', 'm'), 'a\nb', '').verdict).toBe('wrong_answer');
    expect(compareOutput(re('\\d+', 'g'), '42', '').verdict).toBe('accepted');
  });

  it('an invalid pattern is the assignment’s fault, not the student’s', () => {
    expect(compareOutput({ kind: 'regex', pattern: '(' }, 'x', '').verdict).toBe('internal_error');
    expect(compareOutput({ kind: 'regex', pattern: '(a)\\1' }, 'aa', '').verdict).toBe('internal_error');
  });

  it('no output makes a pattern backtrack: time stays linear in the output (ReDoS)', () => {
    // A backtracking engine would not return from any of these in the life of the universe (the
    // test would never end); RE2 answers at once.
    const hostile = `${'a'.repeat(100_000)}!`;
    for (const pattern of ['(a+)+$', '(a|a)*$', '(a|aa)+$', '(.*a){20}']) {
      expect(compareOutput({ kind: 'regex', pattern }, hostile, '').verdict).toBe('wrong_answer');
    }
  });
});

describe('checkerVerdict', () => {
  it('maps exit 0/1/other and takes the first line as message', () => {
    expect(checkerVerdict(0, '')).toEqual({ verdict: 'accepted' });
    expect(checkerVerdict(0, 'ok, 3 tokens\nmore')).toEqual({ verdict: 'accepted', message: 'ok, 3 tokens' });
    expect(checkerVerdict(1, 'token 2 differs\n')).toEqual({
      verdict: 'wrong_answer',
      message: 'token 2 differs',
    });
    expect(checkerVerdict(1, '').verdict).toBe('wrong_answer');
    expect(checkerVerdict(2, 'boom').verdict).toBe('internal_error');
    expect(checkerVerdict(null, '').verdict).toBe('internal_error');
  });
});
