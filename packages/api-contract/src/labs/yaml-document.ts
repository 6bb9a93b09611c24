/**
 * Reads a YAML (or JSON: YAML 1.2 is a superset) document defensively. A template arrives over
 * the API from anyone holding a token, so the text is capped, alias expansion is bounded (the
 * "billion laughs" document is a few hundred bytes that expand to gigabytes), and anything the
 * core schema does not know — custom tags, several documents, duplicate keys — is an error
 * rather than a guess.
 */
import { LAB_TEMPLATE_LIMITS, type LabTemplateProblem } from '@aperture/core';
import { LineCounter, parseDocument } from 'yaml';
import { MAX_YAML_NESTING, yamlNestingEstimate } from '../bounds/nesting.ts';

export type YamlReadResult = { ok: true; value: unknown } | { ok: false; errors: LabTemplateProblem[] };

/** Problems about the document as a whole have the empty path. */
const DOCUMENT = '';

export function readYamlDocument(text: string): YamlReadResult {
  const size = new TextEncoder().encode(text).length;
  if (size > LAB_TEMPLATE_LIMITS.maxTextBytes) {
    return fail(
      `the document is ${size} bytes; a lab template may have at most ${LAB_TEMPLATE_LIMITS.maxTextBytes}`,
    );
  }
  // Before the parser, whose composer recurses once per level (see bounds/nesting.ts).
  if (yamlNestingEstimate(text) > MAX_YAML_NESTING) {
    return fail(
      `the document nests more than ${MAX_YAML_NESTING} levels deep; a lab template needs far fewer`,
    );
  }
  const lines = new LineCounter();
  const document = parseDocument(text, {
    lineCounter: lines,
    uniqueKeys: true,
    merge: false,
    prettyErrors: false,
  });
  // Warnings are unresolved tags (`!custom`): a value we would have to guess at.
  const problems = [...document.errors, ...document.warnings];
  if (problems.length > 0) {
    return {
      ok: false,
      errors: problems.map((problem) => {
        const { line, col } = lines.linePos(problem.pos[0]);
        return { path: DOCUMENT, message: `line ${line}, column ${col}: ${problem.message}` };
      }),
    };
  }
  try {
    const value: unknown = document.toJS({ maxAliasCount: LAB_TEMPLATE_LIMITS.maxYamlAliases });
    return value === null || value === undefined ? fail('the document is empty') : { ok: true, value };
  } catch (error) {
    if (error instanceof ReferenceError || /alias/i.test((error as Error).message)) {
      return fail(
        `the document uses YAML aliases more than ${LAB_TEMPLATE_LIMITS.maxYamlAliases} times; write the values out`,
      );
    }
    if (error instanceof RangeError) return fail('the document is nested too deeply');
    throw error;
  }
}

function fail(message: string): YamlReadResult {
  return { ok: false, errors: [{ path: DOCUMENT, message }] };
}
