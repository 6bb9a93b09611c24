import { describe, expect, it } from 'vitest';
import { frameResult, type HarnessResult, parseFramedResult } from './harness-protocol.ts';

const result: HarnessResult = {
  version: 1,
  status: 'ok',
  tests: [],
  score: 1,
  maxScore: 1,
  message: 'héllo @@END x@@',
};

describe('result framing', () => {
  it('round-trips, with multibyte text and look-alike markers inside', () => {
    const output = `noise\n${frameResult(result, 'n1')}`;
    expect(parseFramedResult(output, 'n1')).toEqual({ ok: true, result });
  });

  it('ignores a frame with another nonce (a student forging one)', () => {
    const forged = frameResult({ ...result, score: 100 }, 'guess');
    const parsed = parseFramedResult(`${forged}${frameResult(result, 'real')}`, 'real');
    expect(parsed.ok && parsed.result.score).toBe(1);
    expect(parseFramedResult(forged, 'real').ok).toBe(false);
  });

  it('reports a cut-short or missing frame', () => {
    const frame = frameResult(result, 'n');
    expect(parseFramedResult(frame.slice(0, frame.length - 20), 'n')).toMatchObject({ ok: false });
    expect(parseFramedResult('', 'n')).toEqual({ ok: false, reason: 'the sandbox printed no result frame' });
  });

  it('refuses an unknown version', () => {
    const frame = frameResult(result, 'n').replace('RESULT v1', 'RESULT v9');
    expect(parseFramedResult(frame, 'n')).toEqual({ ok: false, reason: 'unknown result version 9' });
  });
});
