/**
 * zod issues as lab template problems: one per wrong field, each with a path like
 * `spec.components[1].ports[0].port` and a message a person can act on.
 */
import { formatFieldPath, type LabTemplateProblem } from '@aperture/core';
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

export function problemsOf(
  issues: readonly Issue[],
  base: readonly PropertyKey[] = [],
): LabTemplateProblem[] {
  return issues.flatMap((issue) => problemsOfIssue(issue, base));
}

function problemsOfIssue(issue: Issue, base: readonly PropertyKey[]): LabTemplateProblem[] {
  const at = [...base, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: formatFieldPath([...at, key]), message: 'unknown field' }));
  }
  if (issue.code === 'invalid_union') {
    const branch = likeliestBranch(issue.errors);
    if (branch) return problemsOf(branch, at);
  }
  return [{ path: formatFieldPath(at), message: issue.message }];
}

/**
 * Which alternative the author meant: not one whose type does not even match, then the one with
 * the fewest issues. A tie has no answer; the union's own message ("exactly one of …") says it.
 */
function likeliestBranch(branches: readonly (readonly Issue[])[]): readonly Issue[] | undefined {
  const plausible = branches.filter(
    (issues) => !issues.some((issue) => issue.code === 'invalid_type' && issue.path.length === 0),
  );
  const fewest = Math.min(...plausible.map((issues) => issues.length));
  const best = plausible.filter((issues) => issues.length === fewest);
  return best.length === 1 ? best[0] : undefined;
}

/** Messages for the issues whose field has none of its own. */
export const labIssueMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? 'required'
        : `expected ${article(issue.expected)}, got ${describe(issue.input)}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `at most ${issue.maximum} entries`
        : issue.origin === 'string'
          ? `at most ${issue.maximum} characters`
          : `at most ${issue.maximum}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `at least ${issue.minimum} ${issue.minimum === 1 ? 'entry' : 'entries'}`
        : issue.origin === 'string'
          ? 'must not be empty'
          : `at least ${issue.minimum}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])} (got ${describe(issue.input)})`
        : `one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')} (got ${describe(issue.input)})`;
    default:
      return undefined;
  }
};

function article(type: string): string {
  if (type === 'int') return 'a whole number';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${String(value)}`;
}
