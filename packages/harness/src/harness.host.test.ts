import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findLanguage, type HarnessResult, TRUNCATION_MARKER } from '@aperture/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { b64, buildRunlimit, fastLimits, makeJob, runHarness, testCase } from './host-kit.ts';

let runlimit = '';
beforeAll(() => {
  runlimit = buildRunlimit();
});

const c = findLanguage('c')!;
const cLanguage = { id: 'c', run: c.run, mainFile: 'main.c', compile: c.compile! };
const python = (source: string, patch: Parameters<typeof makeJob>[0] = {}) =>
  makeJob({ files: [{ path: 'main.py', contentBase64: b64(source) }], ...patch });

async function run(
  job: Parameters<typeof runHarness>[0],
  env?: Record<string, string>,
): Promise<HarnessResult> {
  const ran = await runHarness(job, env ? { runlimit, env } : { runlimit });
  expect(ran.exitCode).toBe(0);
  if (!ran.result) throw new Error(`no result frame (${ran.frameError}); stderr: ${ran.stderr}`);
  return ran.result;
}

describe('harness on the host', () => {
  it('runs python hello once without tests: accepted', async () => {
    const result = await run(python('import sys\nprint("hello", sys.stdin.read())', { stdin: 'world' }));
    expect(result.status).toBe('ok');
    expect(result.execution?.verdict).toBe('accepted');
    expect(result.execution?.stdout).toBe('hello world\n');
    expect(result.execution?.exitCode).toBe(0);
    expect(result.execution?.memoryBytes).toBeGreaterThan(0);
    expect(result.tests).toEqual([]);
  });

  it('compiles C once and runs three tests, one wrong', async () => {
    const source =
      '#include <stdio.h>\nint main(){long a,b; if(scanf("%ld %ld",&a,&b)!=2) return 1; printf("%ld\\n", a==2 ? a*b : a+b); return 0;}\n';
    const result = await run(
      makeJob({
        language: cLanguage,
        files: [{ path: 'main.c', contentBase64: b64(source) }],
        tests: [
          testCase({ name: 'one', stdin: '1 2', expectedOutput: '3\n', points: 2 }),
          testCase({ name: 'two', stdin: '2 5', expectedOutput: '7\n', points: 3 }),
          testCase({ name: 'three', stdin: '10 20', expectedOutput: '30\n', points: 5 }),
        ],
      }),
    );
    expect(result.compile?.verdict).toBe('ok');
    expect(result.tests.map((t) => t.verdict)).toEqual(['accepted', 'wrong_answer', 'accepted']);
    expect(result.tests[1]?.message).toContain('line 1');
    expect(result.score).toBe(7);
    expect(result.maxScore).toBe(10);
  });

  it('a compile error skips every test and scores 0', async () => {
    const result = await run(
      makeJob({
        language: cLanguage,
        files: [{ path: 'main.c', contentBase64: b64('int main( { return 0; }\n') }],
        tests: [testCase({ expectedOutput: '', points: 4 }), testCase({ expectedOutput: '', points: 6 })],
      }),
    );
    expect(result.status).toBe('ok');
    expect(result.compile?.verdict).toBe('compile_error');
    expect(result.compile?.message).toMatch(/exit code 1/);
    expect(result.compile?.stderr).toContain('error');
    expect(result.tests.map((t) => t.verdict)).toEqual(['skipped', 'skipped']);
    expect(result.score).toBe(0);
    expect(result.maxScore).toBe(10);
  });

  it('a compile that runs out of time is a compile error saying so', async () => {
    const result = await run(
      makeJob({
        language: { ...cLanguage, compile: 'sleep 10' },
        compileLimits: fastLimits({ wallMs: 500 }),
        tests: [testCase({ expectedOutput: '' })],
      }),
    );
    expect(result.compile?.verdict).toBe('compile_error');
    expect(result.compile?.message).toBe('Compilation stopped: wall-clock time limit of 0.5 s exceeded.');
  });

  it('an infinite loop is a time limit', async () => {
    const result = await run(
      python('while True:\n    pass\n', {
        tests: [testCase({ expectedOutput: '', limits: fastLimits({ cpuMs: 1000, wallMs: 20_000 }) })],
      }),
    );
    expect(result.tests[0]?.verdict).toBe('time_limit_exceeded');
    expect(result.tests[0]?.timeMs).toBeGreaterThanOrEqual(1000);
  });

  it('sleep 100 is a wall time limit, quickly', async () => {
    const started = Date.now();
    const result = await run(
      makeJob({
        language: { id: 'bash', run: 'bash {main}', mainFile: 'main.sh' },
        files: [{ path: 'main.sh', contentBase64: b64('sleep 100\n') }],
        tests: [testCase({ expectedOutput: '', limits: fastLimits({ wallMs: 800 }) })],
      }),
    );
    expect(result.tests[0]?.verdict).toBe('wall_time_limit_exceeded');
    expect(Date.now() - started).toBeLessThan(6_000);
  });

  it('50 MB of output is an output limit, fast, with the truncation marker', async () => {
    const started = Date.now();
    const result = await run(
      python('import sys\nchunk = "x" * 1_000_000\nfor _ in range(50):\n    sys.stdout.write(chunk)\n', {
        tests: [
          testCase({ expectedOutput: '', limits: fastLimits({ outputBytes: 64 * 1024, wallMs: 20_000 }) }),
        ],
      }),
    );
    const test = result.tests[0]!;
    expect(test.verdict).toBe('output_limit_exceeded');
    expect(test.truncated).toBe(true);
    expect(test.stdout.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(test.stdout.length).toBe(64 * 1024 + TRUNCATION_MARKER.length);
    expect(Date.now() - started).toBeLessThan(6_000);
  });

  it('an endless printer that ignores SIGPIPE is stopped too', async () => {
    const result = await run(
      python(
        'import signal, sys\nsignal.signal(signal.SIGPIPE, signal.SIG_IGN)\nwhile True:\n    try:\n        print("y" * 1000)\n    except Exception:\n        pass\n',
        {
          tests: [
            testCase({ expectedOutput: '', limits: fastLimits({ outputBytes: 4096, wallMs: 20_000 }) }),
          ],
        },
      ),
    );
    expect(result.tests[0]?.verdict).toBe('output_limit_exceeded');
    expect(result.tests[0]?.wallMs).toBeLessThan(10_000);
  });

  it('exit 3 is a runtime error naming the code; a segfault names the signal', async () => {
    const exit3 = await run(
      python('import sys\nsys.exit(3)\n', { tests: [testCase({ expectedOutput: '' })] }),
    );
    expect(exit3.tests[0]?.verdict).toBe('runtime_error');
    expect(exit3.tests[0]?.message).toContain('exit code 3');
    const segv = await run(
      makeJob({
        language: cLanguage,
        files: [{ path: 'main.c', contentBase64: b64('int main(){volatile int*p=0;return *p;}\n') }],
        tests: [testCase({ expectedOutput: '' })],
      }),
    );
    expect(segv.tests[0]?.verdict).toBe('runtime_error');
    expect(segv.tests[0]?.message).toContain('SIGSEGV');
  });

  it('a file over the size limit is an output limit (C gets SIGXFSZ, Python EFBIG)', async () => {
    const cResult = await run(
      makeJob({
        language: cLanguage,
        files: [
          {
            path: 'main.c',
            contentBase64: b64(
              '#include <stdio.h>\nint main(){FILE*f=fopen("big","w");for(int i=0;i<100000;i++)fputc(120,f);fclose(f);return 0;}\n',
            ),
          },
        ],
        tests: [testCase({ expectedOutput: '', limits: fastLimits({ fileSizeBytes: 10_000 }) })],
      }),
    );
    expect(cResult.tests[0]?.verdict).toBe('output_limit_exceeded');
    const result = await run(
      python('open("big", "wb").write(b"x" * 100_000)\n', {
        tests: [testCase({ expectedOutput: '', limits: fastLimits({ fileSizeBytes: 10_000 }) })],
      }),
    );
    expect(result.tests[0]?.verdict).toBe('output_limit_exceeded');
    expect(result.tests[0]?.message).toMatch(/file/);
  });

  it('passes each test its stdin and arguments', async () => {
    const result = await run(
      python('import sys\nprint(" ".join(sys.argv[1:]), sys.stdin.read())\n', {
        tests: [testCase({ stdin: 'in', args: ['a b', "it's"], expectedOutput: "a b it's in\n" })],
      }),
    );
    expect(result.tests[0]?.verdict).toBe('accepted');
  });

  it('whitespace, regex and checker comparators', async () => {
    const checker = [
      'import sys',
      'inp, exp, act = (open(p).read() for p in sys.argv[1:4])',
      'if int(act) == int(exp) * 2:',
      '    print("doubled", inp.strip())',
      '    sys.exit(0)',
      'if int(act) < 0:',
      '    sys.exit(7)',
      'print("not doubled")',
      'sys.exit(1)',
    ].join('\n');
    const result = await run(
      python('n = int(input())\nprint(n * 2 if n != 5 else 3)\n', {
        supportFiles: [{ path: 'check/checker.py', contentBase64: b64(checker) }],
        tests: [
          testCase({ name: 'ws', stdin: '4', expectedOutput: '  8 ', comparator: { kind: 'whitespace' } }),
          testCase({
            name: 're',
            stdin: '21',
            expectedOutput: '',
            comparator: { kind: 'regex', pattern: '4\\d' },
          }),
          testCase({
            name: 're-no',
            stdin: '30',
            expectedOutput: '',
            comparator: { kind: 'regex', pattern: '4\\d' },
          }),
          testCase({
            name: 'chk',
            stdin: '6',
            expectedOutput: '6',
            comparator: { kind: 'checker', command: 'python3 check/checker.py' },
          }),
          testCase({
            name: 'chk-no',
            stdin: '5',
            expectedOutput: '5',
            comparator: { kind: 'checker', command: 'python3 check/checker.py' },
          }),
          testCase({
            name: 'chk-bad',
            stdin: '-1',
            expectedOutput: '5',
            comparator: { kind: 'checker', command: 'python3 check/checker.py' },
          }),
        ],
      }),
    );
    expect(result.tests.map((t) => [t.name, t.verdict])).toEqual([
      ['ws', 'accepted'],
      ['re', 'accepted'],
      ['re-no', 'wrong_answer'],
      ['chk', 'accepted'],
      ['chk-no', 'wrong_answer'],
      ['chk-bad', 'internal_error'],
    ]);
    expect(result.tests[3]?.message).toBe('doubled 6');
    expect(result.tests[4]?.message).toBe('not doubled');
    expect(result.score).toBe(3);
  });

  it('a background process that outlives main does not hang the harness', async () => {
    const started = Date.now();
    const result = await run(
      makeJob({
        language: { id: 'bash', run: 'bash {main}', mainFile: 'main.sh' },
        // One child stays in the group, one escapes it with setsid; both hold stdout open.
        files: [{ path: 'main.sh', contentBase64: b64('sleep 30 &\nsetsid sleep 7 &\necho done\n') }],
        tests: [testCase({ expectedOutput: 'done\n', limits: fastLimits({ wallMs: 20_000 }) })],
      }),
    );
    expect(result.tests[0]?.verdict).toBe('accepted');
    expect(Date.now() - started).toBeLessThan(6_000);
  });

  it('outside the sandbox it never kills processes beyond the program’s own group', async () => {
    // A process of ours, in its own group: kill(-1) from the harness would take it down.
    const sentinel = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    try {
      const result = await run(
        makeJob({
          language: { id: 'bash', run: 'bash {main}', mainFile: 'main.sh' },
          files: [{ path: 'main.sh', contentBase64: b64('sleep 30 &\necho hi\n') }],
        }),
      );
      expect(result.execution?.verdict).toBe('accepted');
      expect(() => process.kill(sentinel.pid!, 0)).not.toThrow();
      expect(sentinel.exitCode).toBeNull();
    } finally {
      sentinel.kill('SIGKILL');
    }
  });

  it('reads the job from APERTURE_JOB_FILE when set', async () => {
    const job = python('print(6 * 7)\n');
    const file = join(tmpdir(), `aperture-job-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(job));
    const ran = await runHarness('this stdin is ignored', {
      runlimit,
      env: { APERTURE_JOB_FILE: file },
      nonce: job.nonce,
    });
    expect(ran.result?.execution?.stdout).toBe('42\n');
  });
});

describe('harness failures are internal errors, never verdicts', () => {
  it('an unknown job version', async () => {
    const job = { ...python('print(1)\n'), version: 9 } as unknown as Parameters<typeof runHarness>[0];
    const result = await run(job);
    expect(result.status).toBe('internal_error');
    expect(result.message).toMatch(/version 9/);
  });

  it('bad job JSON still gives one frame', async () => {
    const ran = await runHarness('{not json', { runlimit });
    expect(ran.exitCode).toBe(0);
    expect(ran.result?.status).toBe('internal_error');
    expect(ran.result?.message).toMatch(/not valid JSON/);
  });

  it('a file path that climbs out of the work dir', async () => {
    const result = await run(makeJob({ files: [{ path: '../escape.py', contentBase64: b64('x') }] }));
    expect(result.status).toBe('internal_error');
    expect(result.message).toMatch(/escape\.py/);
  });

  it('runlimit missing', async () => {
    const ran = await runHarness(python('print(1)\n'), { runlimit: '/nonexistent/runlimit' });
    expect(ran.result?.status).toBe('internal_error');
    expect(ran.result?.message).toMatch(/runlimit/);
  });
});
