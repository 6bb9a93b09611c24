import { describe, expect, it } from 'vitest';
import { formatBytes, formatScore, Output, table } from './output.ts';

function capture(format: 'text' | 'json', isTTY = false) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = new Output(
    format,
    { write: (s: string) => stdout.push(s) },
    { write: (s: string) => stderr.push(s), isTTY },
  );
  return { out, stdout, stderr };
}

describe('Output', () => {
  it('prints the text rendering in text mode, with a final newline', () => {
    const { out, stdout, stderr } = capture('text');
    out.result({ a: 1 }, (d) => `a is ${d.a}`);
    expect(stdout.join('')).toBe('a is 1\n');
    expect(stderr).toEqual([]);
  });

  it('prints one JSON document in JSON mode, ignoring the text renderer', () => {
    const { out, stdout } = capture('json');
    out.result({ a: 1 }, () => 'ignored');
    expect(JSON.parse(stdout.join(''))).toEqual({ a: 1 });
  });

  it('keeps diagnostics on stderr', () => {
    const { out, stdout, stderr } = capture('json');
    out.info('working');
    out.error('it broke', 'try again');
    expect(stdout).toEqual([]);
    expect(stderr.join('')).toBe('working\nerror: it broke\nhint: try again\n');
  });

  it('is interactive only when stderr is a terminal', () => {
    expect(capture('text', true).out.interactive).toBe(true);
    expect(capture('text', false).out.interactive).toBe(false);
  });
});

describe('table', () => {
  it('aligns columns, upper-cases headers and shows empty cells as -', () => {
    const rows = [
      { code: 'CS101', title: 'Intro', role: 'instructor' },
      { code: 'X', title: 'Multi\nline', role: null },
    ];
    const text = table(rows, [
      { header: 'code', value: (r) => r.code },
      { header: 'title', value: (r) => r.title },
      { header: 'role', value: (r) => r.role },
    ]);
    expect(text).toBe('CODE   TITLE       ROLE\nCS101  Intro       instructor\nX      Multi line  -\n');
  });

  it('says when there is nothing to show', () => {
    expect(table([], [{ header: 'x', value: () => 1 }], 'No courses.')).toBe('No courses.\n');
  });
});

describe('formatting', () => {
  it('formats bytes and scores', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(7_600_000)).toBe('7.2 MB');
    expect(formatBytes(null)).toBe('-');
    expect(formatScore(2.5, 10)).toBe('2.5/10');
    expect(formatScore(null, 10)).toBe('-');
  });
});
