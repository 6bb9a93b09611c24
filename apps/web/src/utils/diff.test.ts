import { describe, expect, it } from 'vitest';
import { diffLines, splitLines } from './diff.ts';

describe('diffLines', () => {
  it('marks equal output as all same', () => {
    expect(diffLines('a\nb\n', 'a\nb\n').map((r) => r.kind)).toEqual(['same', 'same']);
  });

  it('pairs a changed line side by side', () => {
    const rows = diffLines('1\n3\n5\n', '1\n4\n5\n');
    expect(rows.map((r) => r.kind)).toEqual(['same', 'changed', 'same']);
    expect(rows[1]).toMatchObject({ left: { number: 2, text: '3' }, right: { number: 2, text: '4' } });
  });

  it('shows missing and extra lines on one side only', () => {
    expect(diffLines('a\nb\nc\n', 'a\nc\n').map((r) => r.kind)).toEqual(['same', 'removed', 'same']);
    expect(diffLines('a\n', 'a\nextra\n').map((r) => r.kind)).toEqual(['same', 'added']);
    expect(diffLines('', 'x\n')).toEqual([{ kind: 'added', left: null, right: { number: 1, text: 'x' } }]);
  });

  it('does not invent an empty last line from a final newline', () => {
    expect(splitLines('a\n')).toEqual(['a']);
    expect(splitLines('a')).toEqual(['a']);
    expect(splitLines('a\n\n')).toEqual(['a', '']);
  });

  it('falls back to pairing by position for huge outputs', () => {
    const big = Array.from({ length: 3000 }, (_, i) => String(i)).join('\n');
    const rows = diffLines(big, `${big}\nmore`);
    expect(rows).toHaveLength(3001);
    expect(rows.at(-1)!.kind).toBe('added');
  });
});
