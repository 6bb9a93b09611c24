// @vitest-environment happy-dom
import { cleanup, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { runView, testView } from '../testing/fixtures.ts';
import { renderWithProviders } from '../testing/render.tsx';
import { RunResult } from './RunResult.tsx';

afterEach(cleanup);

describe('RunResult', () => {
  it('shows the live status while the run waits', () => {
    renderWithProviders(
      <RunResult run={runView({ status: 'queued', verdict: null, score: null, tests: [] })} />,
    );
    expect(screen.getByText('Queued')).toBeTruthy();
    expect(screen.getByText(/Waiting for a free sandbox/)).toBeTruthy();
    expect(screen.queryByTestId('run-score')).toBeNull();
  });

  it('shows verdict, score, each test and a diff for a failed visible test', () => {
    const run = runView({
      verdict: 'wrong_answer',
      score: 2,
      maxScore: 4,
      tests: [
        testView(),
        testView({
          name: 'negative',
          verdict: 'wrong_answer',
          points: 0,
          stdin: '-5 3\n',
          expectedOutput: '-2\n',
          stdout: '8\n',
        }),
      ],
      hiddenTests: { count: 2, score: 0, maxScore: 6 },
    });
    renderWithProviders(<RunResult run={run} />);
    expect(screen.getByTestId('run-score').textContent).toBe('Score 2 / 4');
    expect(screen.getAllByTestId('test-result').map((e) => e.getAttribute('data-verdict'))).toEqual([
      'accepted',
      'wrong_answer',
    ]);
    expect(screen.getByRole('table', { name: 'Expected and actual output' })).toBeTruthy();
    expect(screen.getByTestId('hidden-tests').textContent).toContain(
      '2 hidden tests worth 6 points also graded',
    );
  });

  it('shows output, exit code and compile errors of an ad-hoc run', () => {
    const run = runView({ kind: 'adhoc', tests: [], verdict: 'accepted', stdout: 'hi\n', exitCode: 0 });
    renderWithProviders(<RunResult run={run} />);
    expect(screen.getByText('hi')).toBeTruthy();
    expect(screen.getByText('Exit code')).toBeTruthy();
    cleanup();
    renderWithProviders(
      <RunResult
        run={runView({
          verdict: 'compile_error',
          tests: [],
          compile: { verdict: 'compile_error', output: 'main.c:1: error' },
        })}
      />,
    );
    expect(screen.getByText('Compile error')).toBeTruthy();
    expect(screen.getByText('main.c:1: error')).toBeTruthy();
  });
});
