import type { Run, RunView } from '@aperture/core';

/**
 * A run's result in Gradescope's results.json shape, so grades can move to tools that read it.
 * What the viewer cannot see (hidden tests) is not exported either: the view is the input.
 */
export function toGradescopeResults(view: RunView, run: Run, isStaff: boolean) {
  const gs = run.result?.gradescope;
  // The autograder's top-level output follows its own visibility (Gradescope's default: visible).
  const outputHidden = !isStaff && gs?.visibility !== undefined && gs.visibility !== 'visible';
  return {
    score: view.score ?? 0,
    ...(gs?.executionTime !== undefined ? { execution_time: gs.executionTime } : {}),
    output: outputHidden ? '' : (gs?.output ?? view.message ?? view.compile?.output ?? ''),
    ...(gs?.visibility ? { visibility: gs.visibility } : {}),
    ...(gs?.stdoutVisibility ? { stdout_visibility: gs.stdoutVisibility } : {}),
    tests: view.tests.map((test, index) => ({
      name: test.name,
      number: String(index + 1),
      score: test.points,
      max_score: test.maxPoints,
      status: test.verdict === 'accepted' ? 'passed' : 'failed',
      output: [test.message, test.verdict.replace(/_/g, ' ')].filter(Boolean).join('\n'),
    })),
  };
}
