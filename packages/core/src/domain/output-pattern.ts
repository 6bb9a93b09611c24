import { RE2JS } from 're2js';

/**
 * The regex comparator's patterns, compiled by a linear-time engine (RE2, in pure JavaScript).
 * A backtracking engine lets a student's output turn an innocent-looking pattern such as
 * `(a+)+$` into minutes of work inside the grader (ReDoS): the run then ends as a grader timeout,
 * retried, instead of a verdict. RE2 takes time linear in the output whatever the pattern, at the
 * price of no backreferences and no lookaround, which a pattern is refused for when the
 * assignment is saved, not when a student is graded.
 */
export type OutputPattern = { ok: true; matchesWhole(text: string): boolean } | { ok: false; error: string };

/** JavaScript's flag letters, as staff write them; `g`/`y`/`u` change nothing for a whole match. */
const FLAGS: Record<string, number> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
  g: 0,
  y: 0,
  u: 0,
};

export function compileOutputPattern(pattern: string, flags = ''): OutputPattern {
  let mask = 0;
  for (const flag of flags) {
    const bit = FLAGS[flag];
    if (bit === undefined) return { ok: false, error: `unknown flag "${flag}" (use i, m or s)` };
    mask |= bit;
  }
  try {
    const compiled = RE2JS.compile(pattern, mask);
    return { ok: true, matchesWhole: (text) => compiled.matches(text) };
  } catch (error) {
    // RE2's own words name the construct, e.g. "invalid or unsupported Perl syntax: `(?=`".
    return {
      ok: false,
      error: `${(error as Error).message} (patterns use RE2 syntax: no backreferences or lookaround)`,
    };
  }
}
