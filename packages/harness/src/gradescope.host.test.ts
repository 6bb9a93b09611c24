import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HarnessJob, HarnessResult } from '@aperture/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { b64, buildRunlimit, fastLimits, makeJob, runHarness } from './host-kit.ts';

let runlimit = '';
beforeAll(() => {
  runlimit = buildRunlimit();
});

function autograderJob(runAutograder: string, extra: HarnessJob['files'] = [], wallMs = 10_000): HarnessJob {
  return makeJob({
    files: [{ path: 'add.py', contentBase64: b64('def add(a, b):\n    return a + b\n') }],
    autograder: {
      files: [{ path: 'run_autograder', contentBase64: b64(runAutograder) }, ...extra],
      limits: fastLimits({ wallMs }),
    },
  });
}

async function run(job: HarnessJob): Promise<{ result: HarnessResult; root: string }> {
  const ran = await runHarness(job, { runlimit });
  expect(ran.exitCode).toBe(0);
  if (!ran.result) throw new Error(`no result frame (${ran.frameError}); stderr: ${ran.stderr}`);
  return { result: ran.result, root: ran.dirs.autograder };
}

describe('Gradescope autograders', () => {
  it('runs run_autograder in the Gradescope layout and maps results.json', async () => {
    const grader = [
      'import json, sys',
      "sys.path.insert(0, 'submission')",
      'from add import add',
      'tests = []',
      "for name, (a, b, want), points in [('small', (1, 2, 3), 1), ('negative', (-1, -1, -2), 2), ('wrong on purpose', (1, 1, 3), 3)]:",
      '    got = add(a, b)',
      "    tests.append({'name': name, 'score': points if got == want else 0, 'max_score': points, 'output': f'add({a}, {b}) = {got}'})",
      "tests.append({'name': 'style', 'status': 'passed', 'score': 0, 'max_score': 0, 'visibility': 'hidden'})",
      "json.dump({'tests': tests, 'output': 'graded', 'stdout_visibility': 'visible', 'execution_time': 1, 'extra_data': {'v': 1}}, open('results/results.json', 'w'))",
    ].join('\n');
    const script = '#!/usr/bin/env bash\nset -e\necho "grading in $(pwd)"\npython3 source/lib/grade.py\n';
    const { result, root } = await run(
      autograderJob(script, [{ path: 'lib/grade.py', contentBase64: b64(grader) }]),
    );
    expect(result.status).toBe('ok');
    expect(result.tests.map((t) => [t.name, t.verdict, t.points, t.maxPoints])).toEqual([
      ['small', 'accepted', 1, 1],
      ['negative', 'accepted', 2, 2],
      ['wrong on purpose', 'wrong_answer', 0, 3],
      ['style', 'accepted', 0, 0],
    ]);
    expect(result.tests[3]?.visibility).toBe('hidden');
    expect(result.tests[0]?.message).toBe('add(1, 2) = 3');
    expect(result.score).toBe(3);
    expect(result.maxScore).toBe(6);
    expect(result.gradescope).toEqual({
      output: 'graded',
      stdoutVisibility: 'visible',
      executionTime: 1,
      extraData: { v: 1 },
    });
    expect(result.execution?.verdict).toBe('accepted');
    expect(result.execution?.stdout).toContain('grading in');
    expect(existsSync(join(root, 'submission', 'add.py'))).toBe(true);
    expect(statSync(join(root, 'run_autograder')).mode & 0o111).toBe(0o111);
  });

  it('a run_autograder without a shebang still runs (as a shell script)', async () => {
    const { result } = await run(autograderJob('echo \'{"score": 5}\' > results/results.json\n'));
    expect(result.score).toBe(5);
    expect(result.tests).toEqual([]);
  });

  it('garbage in results.json is a clear runtime error, not an internal error', async () => {
    const { result } = await run(
      autograderJob('#!/bin/sh\necho "this is not json" > results/results.json\n'),
    );
    expect(result.status).toBe('ok');
    expect(result.tests).toHaveLength(1);
    expect(result.tests[0]?.name).toBe('autograder');
    expect(result.tests[0]?.verdict).toBe('runtime_error');
    expect(result.tests[0]?.message).toMatch(
      /^run_autograder did not write a valid results\.json: it is not valid JSON/,
    );
    expect(result.score).toBe(0);
  });

  it('no results.json at all, and a crashing autograder', async () => {
    const { result } = await run(autograderJob('#!/bin/sh\necho oops >&2\nexit 2\n'));
    expect(result.tests[0]?.verdict).toBe('runtime_error');
    expect(result.tests[0]?.message).toMatch(
      /the file does not exist \(The program ended with exit code 2\.\)/,
    );
    expect(result.execution?.stderr).toBe('oops\n');
  });

  it('an autograder stopped by its wall limit reports the limit', async () => {
    const { result } = await run(autograderJob('#!/bin/sh\nsleep 30\n', [], 700));
    expect(result.tests[0]?.name).toBe('autograder');
    expect(result.tests[0]?.verdict).toBe('wall_time_limit_exceeded');
  });

  it('an autograder without run_autograder is the assignment’s problem', async () => {
    const job = autograderJob('');
    job.autograder!.files = [{ path: 'setup.sh', contentBase64: b64('true') }];
    const { result } = await run(job);
    expect(result.status).toBe('internal_error');
    expect(result.message).toMatch(/run_autograder/);
  });
});
