import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../api-client.ts';
import { Output } from '../output.ts';
import { fakeFetch, jsonResponse, runView, sseResponse } from '../testing.ts';
import { remotePath } from './files.ts';
import { buildRunRequest, exitCodeFor, followRun, printRun, verdictLine } from './runs.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aperture-run-'));
  await writeFile(join(dir, 'hello.py'), 'print("hi")\n');
  await writeFile(join(dir, 'data.bin'), Buffer.from([0, 1, 2, 255]));
  await writeFile(join(dir, 'input.txt'), '1 2\n');
});

function capture(format: 'text' | 'json' = 'text') {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = new Output(
    format,
    { write: (s: string) => stdout.push(s) },
    { write: (s: string) => stderr.push(s) },
  );
  return { out, stdout: () => stdout.join(''), stderr: () => stderr.join('') };
}

describe('buildRunRequest', () => {
  it('sends base names, text as content, binary as base64, and stdin from a file', async () => {
    const body = await buildRunRequest([join(dir, 'hello.py'), join(dir, 'data.bin')], {
      language: 'python',
      main: 'hello.py',
      stdin: join(dir, 'input.txt'),
    });
    expect(body).toEqual({
      language: 'python',
      mainFile: 'hello.py',
      stdin: '1 2\n',
      files: [
        { path: 'hello.py', content: 'print("hi")\n' },
        { path: 'data.bin', contentBase64: 'AAEC/w==' },
      ],
    });
  });

  it('keeps paths relative to the working directory when asked, and only inside it', () => {
    expect(remotePath('/work/src/Main.java', true, '/work')).toBe('src/Main.java');
    expect(remotePath('/work/src/Main.java', false, '/work')).toBe('Main.java');
    expect(() => remotePath('/etc/passwd', true, '/work')).toThrow(/outside the current directory/);
  });

  it('refuses two files with the same base name, and missing files', async () => {
    await expect(
      buildRunRequest([join(dir, 'hello.py'), join(dir, 'hello.py')], { language: 'python' }),
    ).rejects.toThrow(/both be sent as "hello.py"/);
    await expect(buildRunRequest([join(dir, 'nope.py')], { language: 'python' })).rejects.toThrow(
      /no such file/,
    );
  });
});

describe('exitCodeFor', () => {
  it('is 0 for accepted, 1 for another verdict, 3 for failed, cancelled or unfinished', () => {
    expect(exitCodeFor({ status: 'completed', verdict: 'accepted' })).toBe(0);
    expect(exitCodeFor({ status: 'completed', verdict: 'wrong_answer' })).toBe(1);
    expect(exitCodeFor({ status: 'completed', verdict: 'compile_error' })).toBe(1);
    expect(exitCodeFor({ status: 'failed', verdict: null })).toBe(3);
    expect(exitCodeFor({ status: 'cancelled', verdict: null })).toBe(3);
    expect(exitCodeFor({ status: 'running', verdict: null })).toBe(3);
  });
});

describe('followRun', () => {
  it('follows the event stream to the result, showing each status on stderr', async () => {
    const final = runView();
    const { fetch } = fakeFetch(() =>
      sseResponse([
        ['status', { status: 'queued', at: 't', verdict: null }],
        ['status', { status: 'running', at: 't', verdict: null }],
        ['result', final],
      ]),
    );
    const { out, stderr } = capture();
    const view = await followRun(
      new ApiClient({ server: 'http://h', fetch }),
      runView({ status: 'queued' }),
      out,
      {
        timeoutSeconds: 5,
        label: 'run',
      },
    );
    expect(view).toEqual(final);
    expect(stderr()).toBe('run: queued\nrun: running\n');
  });

  it('falls back to long-polling when the stream breaks', async () => {
    const { fetch, requests } = fakeFetch((request) => {
      if (request.url.pathname.endsWith('/events')) return new Response('event: status\ndata: {not json');
      return jsonResponse(
        runView({ status: request.url.searchParams.has('wait') ? 'completed' : 'running' }),
      );
    });
    const { out } = capture('json');
    const view = await followRun(
      new ApiClient({ server: 'http://h', fetch }),
      runView({ status: 'queued' }),
      out,
      {
        timeoutSeconds: 5,
      },
    );
    expect(view.status).toBe('completed');
    expect(requests.map((r) => r.url.pathname + r.url.search)).toEqual([
      '/api/v1/runs/run_1/events',
      '/api/v1/runs/run_1',
      expect.stringMatching(/^\/api\/v1\/runs\/run_1\?wait=true&timeoutMs=\d+$/),
    ]);
  });

  it('returns the unfinished run when the timeout runs out', async () => {
    const { fetch } = fakeFetch((request) => {
      if (request.url.pathname.endsWith('/events')) {
        // A stream that never sends the result; the abort signal ends it.
        const body = new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('event: status\ndata: {"status":"running"}\n\n'));
            request.signal?.addEventListener('abort', () => controller.error(request.signal?.reason));
          },
        });
        return new Response(body);
      }
      return jsonResponse(runView({ status: 'running' }));
    });
    const { out } = capture('json');
    const client = new ApiClient({ server: 'http://h', fetch });
    const view = await followRun(client, runView({ status: 'queued' }), out, { timeoutSeconds: 0.2 });
    expect(view.status).toBe('running');
    expect(exitCodeFor(view)).toBe(3);
  });

  it('does not wait for a run that is already finished', async () => {
    const { fetch, requests } = fakeFetch(() => jsonResponse({}));
    const done = runView();
    const { out } = capture();
    expect(
      await followRun(new ApiClient({ server: 'http://h', fetch }), done, out, { timeoutSeconds: 1 }),
    ).toBe(done);
    expect(requests).toEqual([]);
  });
});

describe('printRun', () => {
  it('text: program output verbatim on stdout, the verdict on stderr', () => {
    const { out, stdout, stderr } = capture();
    printRun(runView({ stdout: 'a\n  b', stderr: 'warn\n' }), out);
    expect(stdout()).toBe('a\n  b');
    expect(stderr()).toBe('warn\naccepted · 12 ms · 1.9 MB · run_1\n');
  });

  it('text: a submission shows its tests and the hidden ones counted', () => {
    const test = {
      name: 'small',
      verdict: 'wrong_answer' as const,
      points: 0,
      maxPoints: 2,
      timeMs: 20,
      wallMs: 25,
      memoryBytes: 1,
      stdout: '',
      stderr: '',
      exitCode: 0,
      signal: null,
      message: null,
      truncated: false,
      stdin: null,
      expectedOutput: null,
    };
    const { out, stdout, stderr } = capture();
    printRun(
      runView({
        kind: 'submission',
        verdict: 'wrong_answer',
        score: 0,
        maxScore: 2,
        tests: [test],
        hiddenTests: { count: 2, score: 0, maxScore: 6 },
      }),
      out,
    );
    expect(stdout()).toBe(
      'TEST   VERDICT       POINTS  TIME\nsmall  wrong_answer  0/2     20 ms\n+ 2 hidden test(s), not shown until they are released\n',
    );
    expect(stderr()).toContain('wrong_answer · score 0/2');
  });

  it('json: one object with the fields scripts need', () => {
    const { out, stdout, stderr } = capture('json');
    printRun(runView(), out);
    const printed = JSON.parse(stdout());
    for (const field of [
      'id',
      'status',
      'verdict',
      'stdout',
      'stderr',
      'exitCode',
      'timeMs',
      'memoryBytes',
      'score',
      'maxScore',
      'tests',
      'compile',
    ])
      expect(printed).toHaveProperty(field);
    expect(stderr()).toBe('');
  });

  it('explains a failed run', () => {
    expect(verdictLine(runView({ status: 'failed', verdict: null, message: 'not your fault' }))).toBe(
      'run_1: failed — not your fault',
    );
  });
});
