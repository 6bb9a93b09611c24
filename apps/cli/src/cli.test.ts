import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from './cli.ts';
import { fakeFetch, jsonResponse, type Recorded, runView, sseResponse } from './testing.ts';

let dir: string;
let stdout: string;
let stderr: string;
let requests: Recorded[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aperture-cli-unit-'));
  await writeFile(join(dir, 'a.py'), 'print(1)\n');
});

beforeEach(() => {
  stdout = '';
  stderr = '';
  process.exitCode = undefined;
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  vi.stubEnv('XDG_CONFIG_HOME', join(dir, 'config'));
  vi.stubEnv('APERTURE_SERVER', 'http://api.test');
  vi.stubEnv('APERTURE_TOKEN', 'apt_test');
  vi.stubEnv('APERTURE_OUTPUT', undefined);
  vi.stubEnv('APERTURE_LANGUAGE', undefined);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  process.exitCode = undefined;
});

/** Run the CLI in-process against a fake server; returns the exit code. */
async function aperture(args: string[], respond: (r: Recorded) => Response = () => jsonResponse({})) {
  const fake = fakeFetch(respond);
  requests = fake.requests;
  vi.stubGlobal('fetch', fake.fetch);
  await main(['node', 'aperture', ...args]);
  return Number(process.exitCode ?? 0);
}

const call = (i = 0) => {
  const r = requests[i];
  return (
    r && {
      method: r.method,
      path: r.url.pathname + r.url.search,
      body: r.body,
      auth: r.headers['authorization'],
    }
  );
};

describe('arguments → requests', () => {
  it('course create / enroll', async () => {
    expect(
      await aperture(['course', 'create', 'CS101', '--title', 'Intro'], () =>
        jsonResponse({ code: 'CS101', id: 'crs_1', title: 'Intro' }),
      ),
    ).toBe(0);
    expect(call()).toEqual({
      method: 'POST',
      path: '/api/v1/courses',
      body: { code: 'CS101', title: 'Intro' },
      auth: 'Bearer apt_test',
    });
    await aperture(['course', 'enroll', 'CS101', 'ada', '--role', 'ta'], () =>
      jsonResponse({ role: 'ta', created: true }),
    );
    expect(call()).toMatchObject({
      path: '/api/v1/courses/CS101/enrollments',
      body: { username: 'ada', role: 'ta' },
    });
    expect(stdout).toContain('Enrolled ada in CS101 as ta (new user).');
  });

  it('rejects an unknown course role before any request', async () => {
    expect(await aperture(['course', 'enroll', 'CS101', 'ada', '--role', 'boss'])).toBe(2);
    expect(requests).toEqual([]);
    expect(stderr).toContain("argument 'boss' is invalid");
  });

  it('token create / revoke', async () => {
    await aperture(['token', 'create', 'ci', '--expires-in-days', '7'], () =>
      jsonResponse({ id: 'tok_1', name: 'ci', token: 'apt_secret' }, 201),
    );
    expect(call()).toMatchObject({
      method: 'POST',
      path: '/api/v1/tokens',
      body: { name: 'ci', expiresInDays: 7 },
    });
    expect(stdout).toBe('apt_secret\n');
    await aperture(['token', 'revoke', 'tok_1'], () => new Response(null, { status: 204 }));
    expect(call()).toMatchObject({ method: 'DELETE', path: '/api/v1/tokens/tok_1' });
  });

  it('run --no-wait posts the files and prints the queued run', async () => {
    const code = await aperture(
      ['run', join(dir, 'a.py'), '--language', 'python', '--no-wait', '-o', 'json'],
      () => jsonResponse(runView({ status: 'queued', verdict: null }), 202),
    );
    expect(code).toBe(0);
    expect(call()).toMatchObject({
      method: 'POST',
      path: '/api/v1/runs',
      body: { language: 'python', files: [{ path: 'a.py', content: 'print(1)\n' }] },
    });
    expect(JSON.parse(stdout)).toMatchObject({ id: 'run_1', status: 'queued' });
  });

  it('run waits through the event stream and exits 1 on a wrong answer', async () => {
    vi.stubEnv('APERTURE_LANGUAGE', 'python');
    const code = await aperture(['run', join(dir, 'a.py')], (r) =>
      r.url.pathname.endsWith('/events')
        ? sseResponse([['result', runView({ verdict: 'wrong_answer', stdout: '2\n' })]])
        : jsonResponse(runView({ status: 'queued', verdict: null }), 202),
    );
    expect(code).toBe(1);
    expect(stdout).toBe('2\n');
    expect(stderr).toContain('wrong_answer');
    expect(call(1)?.path).toBe('/api/v1/runs/run_1/events');
  });

  it('run exits 3 when the run failed inside Aperture', async () => {
    const code = await aperture(['run', join(dir, 'a.py'), '-l', 'python'], () =>
      jsonResponse(runView({ status: 'failed', verdict: null, message: 'not your fault' })),
    );
    expect(code).toBe(3);
    expect(stderr).toContain('failed — not your fault');
  });

  it('submit resolves COURSE/slug, then posts to the assignment', async () => {
    await aperture(
      ['submit', 'DEMO101/hello', join(dir, 'a.py'), '-l', 'python', '--main', 'a.py', '--no-wait'],
      (r) =>
        r.method === 'GET'
          ? jsonResponse({ id: 'asg_9', slug: 'hello' })
          : jsonResponse(runView({ status: 'queued' }), 202),
    );
    expect(call(0)?.path).toBe('/api/v1/courses/DEMO101/assignments/hello');
    expect(call(1)).toMatchObject({
      method: 'POST',
      path: '/api/v1/assignments/asg_9/submissions',
      body: { language: 'python', mainFile: 'a.py', files: [{ path: 'a.py' }] },
    });
  });

  it('submissions list --user and gradebook --csv', async () => {
    await aperture(['submissions', 'list', 'asg_9', '--user', 'ada'], (r) => {
      if (r.url.pathname.endsWith('/submissions')) return jsonResponse([]);
      if (r.url.pathname.endsWith('/enrollments'))
        return jsonResponse([{ userId: 'usr_2', username: 'ada' }]);
      return jsonResponse({ id: 'asg_9', courseId: 'crs_1' });
    });
    expect(call(1)?.path).toBe('/api/v1/courses/crs_1/enrollments');
    expect(call(2)?.path).toBe('/api/v1/assignments/asg_9/submissions?userId=usr_2');
    expect(stdout).toBe('No submissions.\n');
    stdout = '';
    await aperture(['gradebook', 'CS101', '--csv'], () => new Response('username,total\r\nada,3\r\n'));
    expect(call()?.path).toBe('/api/v1/courses/CS101/gradebook?format=csv');
    expect(stdout).toBe('username,total\r\nada,3\r\n');
  });

  it('treats an empty environment variable as unset', async () => {
    vi.stubEnv('APERTURE_OUTPUT', '');
    expect(await aperture(['languages'], () => jsonResponse([]))).toBe(0);
    expect(stdout).toBe('(none)\n');
  });

  it('--server and --token flags beat the environment', async () => {
    await aperture(['languages', '--server', 'http://other:1', '--token', 'flag'], () => jsonResponse([]));
    expect(requests[0]?.url.origin).toBe('http://other:1');
    expect(requests[0]?.headers['authorization']).toBe('Bearer flag');
  });
});

describe('errors and exit codes', () => {
  it('401: one line, a hint, exit 2, no stack trace', async () => {
    const code = await aperture(['course', 'list'], () =>
      jsonResponse(
        { error: { code: 'unauthenticated', message: 'That API token is unknown, revoked or expired.' } },
        401,
      ),
    );
    expect(code).toBe(2);
    expect(stderr).toBe(
      'error: That API token is unknown, revoked or expired.\nhint: run `aperture login` or set APERTURE_TOKEN\n',
    );
  });

  it('usage errors exit 2; --help exits 0', async () => {
    expect(await aperture(['run', join(dir, 'a.py')])).toBe(2);
    expect(stderr).toContain("required option '-l, --language <id>' not specified");
    expect(await aperture(['frobnicate'])).toBe(2);
    expect(await aperture(['submit', '--help'])).toBe(0);
    expect(stdout).toContain('aperture submit DEMO101/hello main.py --language python');
  });

  it('a missing file is a usage error', async () => {
    expect(await aperture(['run', join(dir, 'nope.py'), '-l', 'python'])).toBe(2);
    expect(stderr).toMatch(/^error: no such file: .*nope\.py\n$/);
    expect(requests).toEqual([]);
  });
});

describe('unknown commands', () => {
  it('an unknown command is an error even with --help after it, with a suggestion', async () => {
    expect(await aperture(['backup', '--help'])).toBe(2);
    expect(stdout).toBe(''); // not the main help, as if `backup` existed
    expect(stderr).toContain("unknown command 'backup'");
    expect(await aperture(['lgin'])).toBe(2);
    expect(stderr).toContain('(Did you mean login?)');
  });

  it('the same one level down; known commands and `help` still show their help', async () => {
    expect(await aperture(['lab', 'pubish', '--help'])).toBe(2);
    expect(stderr).toContain("unknown command 'pubish'");
    stdout = '';
    expect(await aperture(['lab', 'publish', '--help'])).toBe(0);
    expect(stdout).toContain('Usage: aperture lab publish');
    stdout = '';
    expect(await aperture(['help', 'run'])).toBe(0);
    expect(stdout).toContain('Usage: aperture run');
  });
});
