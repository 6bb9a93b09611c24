/**
 * Depth checks that run before a parser does. Parsers of nested text (the YAML library, and
 * everything that walks a parsed JSON value) recurse once per level; a few hundred kilobytes of
 * brackets reach the end of the stack, and V8 may then die outright instead of throwing (a lazily
 * compiled regular expression found no stack left: "RegExpCompiler Allocation failed"). So the
 * depth of what a user sends is measured first, in one pass without recursion, and refused past a
 * bound far above any honest document.
 */
import { CST, Lexer } from 'yaml';

/** Deepest JSON nesting a request body may have (our bodies need fewer than ten levels). */
export const MAX_JSON_DEPTH = 64;
/**
 * Deepest YAML nesting a lab template may have, counted as `yamlNestingEstimate` does (the
 * composer was measured to manage more than 400 levels; honest templates need about ten).
 */
export const MAX_YAML_NESTING = 128;

/**
 * The deepest `[`/`{` nesting of a JSON text, strings skipped; stops counting once past `limit`
 * (then answers `limit + 1`). Does not validate: the JSON parser does that afterwards.
 */
export function jsonNestingDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === DOUBLE_QUOTE) inString = false;
    } else if (c === DOUBLE_QUOTE) inString = true;
    else if (c === OPEN_SQUARE || c === OPEN_CURLY) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return limit + 1;
    } else if ((c === CLOSE_SQUARE || c === CLOSE_CURLY) && depth > 0) depth--;
  }
  return deepest;
}

/**
 * An estimate of how deeply a YAML text nests, from the YAML library's own lexer (a linear state
 * machine that knows exactly where quoted scalars, comments, block scalars and flow brackets are;
 * only the composer after it recurses): the indentation levels open at a line (a stack of distinct
 * indents, as block structure nests), plus the block indicators on that line (`- - x`, `? `, `: `),
 * plus the flow collections (`[`, `{`) open at that point. Comment-only lines do not count. A
 * block child is indented more than its parent, except a sequence under a key at the same indent,
 * so the real nesting is at most about twice this; the bound leaves room for that. Stops once
 * past `limit` (then answers `limit + 1`).
 */
export function yamlNestingEstimate(text: string, limit = MAX_YAML_NESTING): number {
  let deepest = 0;
  let flow = 0;
  const indents: number[] = [];
  let pendingIndent = 0;
  let indicators = 0;
  let lineStart = true;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    if (type === 'newline') {
      lineStart = true;
      pendingIndent = 0;
      indicators = 0;
      continue;
    }
    if (lineStart) {
      if (type === 'space') {
        pendingIndent = token.length;
        continue;
      }
      lineStart = false;
      if (type !== 'comment' && flow === 0) {
        while (indents.length > 0 && indents[indents.length - 1]! >= pendingIndent) indents.pop();
        indents.push(pendingIndent);
      }
    }
    if (BLOCK_INDICATORS.has(type) && flow === 0) indicators++;
    else if (type === 'flow-seq-start' || type === 'flow-map-start') flow++;
    else if ((type === 'flow-seq-end' || type === 'flow-map-end') && flow > 0) flow--;
    deepest = Math.max(deepest, indents.length + indicators + flow);
    if (deepest > limit) return limit + 1;
  }
  return deepest;
}

const BLOCK_INDICATORS = new Set<string | null>(['seq-item-ind', 'explicit-key-ind', 'map-value-ind']);

const DOUBLE_QUOTE = 0x22;
const OPEN_SQUARE = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_SQUARE = 0x5d;
const OPEN_CURLY = 0x7b;
const CLOSE_CURLY = 0x7d;
