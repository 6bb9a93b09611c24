import { describe, expect, it } from 'vitest';
import { mapGradescopeResults } from './gradescope.ts';

function map(value: unknown) {
  const mapped = mapGradescopeResults(JSON.stringify(value));
  if (!mapped.ok) throw new Error(mapped.reason);
  return mapped;
}

describe('mapGradescopeResults', () => {
  it('maps tests, sums scores and keeps the top-level fields', () => {
    const mapped = map({
      execution_time: 12,
      output: 'Thanks',
      visibility: 'after_due_date',
      stdout_visibility: 'hidden',
      extra_data: { seed: 7 },
      tests: [
        { name: 'adds', number: '1.1', score: 2, max_score: 2, output: 'ok', visibility: 'visible' },
        { name: 'subtracts', score: 1, max_score: 3 },
        { score: 0, max_score: 1, status: 'passed' },
        { name: 'style', score: 5, max_score: 5, status: 'failed' },
      ],
    });
    expect(mapped.tests.map((t) => [t.name, t.verdict, t.points, t.maxPoints])).toEqual([
      ['1.1 adds', 'accepted', 2, 2],
      ['subtracts', 'wrong_answer', 1, 3],
      ['Test 3', 'accepted', 0, 1],
      ['style', 'wrong_answer', 5, 5],
    ]);
    expect(mapped.tests[0]?.message).toBe('ok');
    expect(mapped.tests[0]?.stdout).toBe('ok');
    expect(mapped.tests[0]?.visibility).toBe('visible');
    expect(mapped.tests[1]?.visibility).toBe('after_due_date'); // inherits the top level
    expect(mapped.score).toBe(8);
    expect(mapped.maxScore).toBe(11);
    expect(mapped.gradescope).toEqual({
      output: 'Thanks',
      visibility: 'after_due_date',
      stdoutVisibility: 'hidden',
      executionTime: 12,
      extraData: { seed: 7 },
    });
  });

  it('a top-level score overrides the sum', () => {
    const mapped = map({ score: 42, tests: [{ name: 'a', score: 1, max_score: 1 }] });
    expect(mapped.score).toBe(42);
    expect(mapped.maxScore).toBe(1);
  });

  it('a top-level score alone is enough; tests may then omit theirs', () => {
    expect(map({ score: 7.5 }).score).toBe(7.5);
    expect(map({ score: 3, tests: [{ name: 'info', status: 'passed' }] }).tests[0]?.verdict).toBe('accepted');
    expect(map({ score: '4' }).score).toBe(4);
  });

  it('rejects what is not a results.json', () => {
    const reason = (text: string) => {
      const mapped = mapGradescopeResults(text);
      return mapped.ok ? 'ok' : mapped.reason;
    };
    expect(reason('garbage')).toMatch(/not valid JSON/);
    expect(reason('[1]')).toMatch(/not a JSON object/);
    expect(reason('{}')).toMatch(/neither/);
    expect(reason('{"score":"lots"}')).toMatch(/"score" is not a number/);
    expect(reason('{"tests":{}}')).toMatch(/"tests" is not a list/);
    expect(reason('{"tests":[{"name":"x"}]}')).toMatch(/no "score"/);
    expect(reason('{"tests":[3]}')).toMatch(/test 1 is not/);
    expect(reason('{"tests":[{"score":1,"max_score":"x"}]}')).toMatch(/max_score/);
  });

  it('ignores unknown visibility values', () => {
    expect(map({ score: 1, visibility: 'everyone' }).gradescope.visibility).toBeUndefined();
  });
});
