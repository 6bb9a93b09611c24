import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it.each([
    ['45m', 45 * 60_000],
    ['2h', 2 * 3_600_000],
    ['30d', 30 * 86_400_000],
    ['1h30m', 90 * 60_000],
    ['1d12h', 36 * 3_600_000],
    ['90s', 90_000],
    ['0s', 0],
  ])('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '2', 'h', '2H', '1.5h', '-1h', '30m1h', '1h1h', '2 h', '1w', '1ms', '9999999d'])(
    'refuses %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('formatDuration', () => {
  it('round-trips through parseDuration', () => {
    for (const text of ['45m', '2h', '30d', '1h30m', '1d2h3m4s']) {
      expect(formatDuration(parseDuration(text)!)).toBe(text);
    }
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(1500)).toBe('1s');
  });
});
