import { describe, expect, it } from 'vitest';
import { parseLabTemplate } from '../labs/lab-template.ts';
import { jsonNestingDepth, MAX_JSON_DEPTH, MAX_YAML_NESTING, yamlNestingEstimate } from './nesting.ts';

describe('jsonNestingDepth', () => {
  it.each([
    ['{}', 1],
    ['[[1,[2]],{"a":{"b":[]}}]', 4],
    ['{"a":"[[[[[[[[["}', 1],
    ['{"a":"\\"[[[["}', 1],
    ['"]]]][[[["', 0],
    ['[]]]][[', 2],
  ])('%s → %i', (text, depth) => expect(jsonNestingDepth(text)).toBe(depth));

  it('stops counting past the limit, in time linear in the text', () => {
    expect(jsonNestingDepth('['.repeat(5_000_000))).toBe(MAX_JSON_DEPTH + 1);
    expect(jsonNestingDepth(`${'{"a":'.repeat(MAX_JSON_DEPTH)}1${'}'.repeat(MAX_JSON_DEPTH)}`)).toBe(
      MAX_JSON_DEPTH,
    );
  });
});

describe('yamlNestingEstimate', () => {
  const template = [
    'apiVersion: aperture.dev/v1alpha1',
    'kind: LabTemplate',
    'metadata: { name: web, labels: [a, b] }',
    'spec:',
    '  components:',
    '    - name: shell',
    '      args: ["sh", "-c", "while [ ! -f /tmp/x ]; do sleep 1; done # ]]]]"]',
    '      script: |',
    '                                                                        deeply indented line',
  ].join('\n');

  it('counts indentation levels, not columns, and not comment lines', () => {
    expect(yamlNestingEstimate(`a:\n${' '.repeat(140)}b: 1`)).toBe(3);
    expect(yamlNestingEstimate(`a: 1\n${' '.repeat(140)}# a comment far to the right\nb: 2`)).toBe(2);
    const staircase = Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
    expect(yamlNestingEstimate(staircase)).toBe(MAX_YAML_NESTING + 1);
  });

  it('counts indentation, block indicators and open flow collections', () => {
    // The document's own level, plus the key's value.
    expect(yamlNestingEstimate('a: b')).toBe(2);
    expect(yamlNestingEstimate('- - - x')).toBe(4);
    expect(yamlNestingEstimate('a: [[{b: [c]}]]')).toBe(6);
    expect(yamlNestingEstimate(template)).toBeLessThan(12);
  });

  it('is not fooled by brackets in quoted scalars, comments or block scalars', () => {
    // A closer inside a quoted scalar must not hide openers outside it.
    const tricky = "[ &a \"]]]\" [ 'it''s ]]' [ # ]]]\n".repeat(MAX_YAML_NESTING);
    expect(yamlNestingEstimate(tricky)).toBe(MAX_YAML_NESTING + 1);
    expect(
      yamlNestingEstimate('a: "[[[[[[[[[[[[[["\nb: \'{{{{{{{{\'\n# [[[[[[[[\nc: |\n  [[[[[[[[[[\n'),
    ).toBe(2);
  });

  it('refuses what would exhaust the parser, before it runs', () => {
    for (const text of [
      '['.repeat(262_000),
      '{'.repeat(262_000),
      '- '.repeat(131_000),
      '? '.repeat(131_000),
      `a: ${'[{'.repeat(60_000)}`,
    ]) {
      expect(yamlNestingEstimate(text)).toBe(MAX_YAML_NESTING + 1);
      expect(parseLabTemplate(text)).toEqual({
        ok: false,
        errors: [{ path: '', message: expect.stringContaining(`more than ${MAX_YAML_NESTING} levels`) }],
      });
    }
  });
});
