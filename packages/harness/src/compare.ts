import { type Comparator, compileOutputPattern } from '@aperture/core';

export interface Comparison {
  verdict: 'accepted' | 'wrong_answer' | 'internal_error';
  message?: string;
}

/**
 * Compare a program's output with the expected output. Pure. Messages never quote the
 * expected output: a hidden test must not leak its answer through its message.
 * (`checker` comparators run a program; see checker.ts.)
 */
export function compareOutput(
  comparator: Exclude<Comparator, { kind: 'checker' }>,
  actual: string,
  expected: string,
): Comparison {
  switch (comparator.kind) {
    case 'exact':
      return actual === expected ? accepted() : wrong(exactDifference(actual, expected));
    case 'whitespace':
      return normaliseWhitespace(actual) === normaliseWhitespace(expected)
        ? accepted()
        : wrong('Output differs from the expected output (whitespace ignored).');
    case 'regex':
      return compareRegex(actual, comparator.pattern, comparator.flags);
  }
}

export function normaliseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Whole-output match, by a linear-time engine (core/domain/output-pattern.ts): no output a student
 * prints can make the pattern take longer than a pass over it. The output with one final newline
 * removed is tried too, because nearly every program ends its output with one and patterns rarely
 * say so.
 */
function compareRegex(actual: string, pattern: string, flags = ''): Comparison {
  const compiled = compileOutputPattern(pattern, flags);
  if (!compiled.ok) {
    return {
      verdict: 'internal_error',
      message: `The test's regular expression is invalid: ${compiled.error}`,
    };
  }
  if (compiled.matchesWhole(actual)) return accepted();
  if (actual.endsWith('\n') && compiled.matchesWhole(actual.slice(0, -1))) return accepted();
  return wrong('Output does not match the expected pattern.');
}

function exactDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) {
      if (a[i] === undefined) return `Output ends early: line ${i + 1} is missing.`;
      if (e[i] === undefined) return `Output has extra lines from line ${i + 1} on.`;
      return `Output differs from the expected output at line ${i + 1}.`;
    }
  }
  return 'Output differs from the expected output.';
}

/** How a checker's exit status grades a test: 0 accepts, 1 rejects, anything else is our problem. */
export function checkerVerdict(exitCode: number | null, stdout: string): Comparison {
  const firstLine = stdout.split('\n', 1)[0]?.trim() ?? '';
  const message = firstLine === '' ? undefined : firstLine;
  if (exitCode === 0) return message === undefined ? accepted() : { verdict: 'accepted', message };
  if (exitCode === 1) return message === undefined ? wrong('Rejected by the checker.') : wrong(message);
  return {
    verdict: 'internal_error',
    message: `The checker failed (${exitCode === null ? 'killed' : `exit code ${exitCode}`})${message ? `: ${message}` : '.'}`,
  };
}

function accepted(): Comparison {
  return { verdict: 'accepted' };
}

function wrong(message: string): Comparison {
  return { verdict: 'wrong_answer', message };
}
