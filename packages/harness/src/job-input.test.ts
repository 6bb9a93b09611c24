import { DEFAULT_COMPILE_LIMITS, DEFAULT_LIMITS } from '@aperture/core';
import { describe, expect, it } from 'vitest';
import { parseJob } from './job-input.ts';

const job = {
  version: 1,
  runId: 'run_1',
  nonce: 'n0nce-_x',
  language: { id: 'python', run: 'python3 -u {main}', mainFile: 'main.py' },
  files: [{ path: 'main.py', contentBase64: 'cHJpbnQoMSk=' }],
  supportFiles: [],
  compileLimits: DEFAULT_COMPILE_LIMITS,
  stdin: '',
  runLimits: DEFAULT_LIMITS,
  tests: [
    {
      name: 't',
      stdin: '',
      expectedOutput: '1\n',
      comparator: { kind: 'exact' },
      points: 1,
      limits: DEFAULT_LIMITS,
      args: [],
    },
  ],
};

describe('parseJob', () => {
  it('accepts a well-formed job', () => {
    const parsed = parseJob(JSON.stringify(job));
    expect(parsed.ok).toBe(true);
  });

  it('refuses an unknown version but keeps the nonce for the frame', () => {
    expect(parseJob(JSON.stringify({ ...job, version: 2 }))).toEqual({
      ok: false,
      nonce: 'n0nce-_x',
      message: 'Unknown job version 2; this harness speaks version 1.',
    });
  });

  it('refuses bad JSON and bad shapes with a message', () => {
    expect(parseJob('{').ok).toBe(false);
    expect(parseJob('[]').ok).toBe(false);
    const bad = (patch: object) => {
      const parsed = parseJob(JSON.stringify({ ...job, ...patch }));
      return parsed.ok ? 'ok' : parsed.message;
    };
    expect(bad({ nonce: 'has space' })).toMatch(/nonce/);
    expect(bad({ files: 'x' })).toMatch(/"files"/);
    expect(bad({ runLimits: { cpuMs: 1 } })).toMatch(/limits/);
    expect(bad({ tests: [{ ...job.tests[0], comparator: { kind: 'magic' } }] })).toMatch(/Test 1/);
    expect(bad({ autograder: { files: [], limits: {} } })).toMatch(/autograder limits/);
    expect(bad({ autograder: { files: [], limits: DEFAULT_LIMITS } })).toBe('ok');
  });
});
