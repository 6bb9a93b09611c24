/**
 * Verdicts of one test or of a whole run. `internal_error` is Aperture's fault and is never
 * shown to a student as their mistake: such a run is retried or marked failed, not graded.
 */
export const VERDICTS = [
  'accepted',
  'wrong_answer',
  'time_limit_exceeded',
  'wall_time_limit_exceeded',
  'memory_limit_exceeded',
  'output_limit_exceeded',
  'runtime_error',
  'compile_error',
  'skipped',
  'internal_error',
] as const;

export type Verdict = (typeof VERDICTS)[number];

/** Order in which a run's overall verdict is chosen: the first failing kind, by test order. */
export function overallVerdict(
  compileVerdict: 'ok' | 'compile_error' | undefined,
  tests: ReadonlyArray<{ verdict: Verdict }>,
): Verdict {
  if (compileVerdict === 'compile_error') return 'compile_error';
  if (tests.some((t) => t.verdict === 'internal_error')) return 'internal_error';
  const failing = tests.find((t) => t.verdict !== 'accepted' && t.verdict !== 'skipped');
  return failing ? failing.verdict : 'accepted';
}

export function isVerdict(value: unknown): value is Verdict {
  return typeof value === 'string' && (VERDICTS as readonly string[]).includes(value);
}
