import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type {
  BackendHealth,
  ExecutionRequest,
  ExecutionResult,
  HarnessResult,
  RunExecutor,
} from '@aperture/core';
import { DEMO_LOGINS, loadServerConfig, type RunningServer, startServer } from '@aperture/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../bin/aperture.js');
const BOOTSTRAP_TOKEN = 'test-bootstrap-token-123456';

/** Every program "prints hello" and passes every test: the subject here is the CLI, not the sandbox. */
class CannedExecutor implements RunExecutor {
  readonly name = 'canned';
  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const outcome = {
      stdout: 'hello\n',
      stderr: '',
      exitCode: 0,
      signal: null,
      timeMs: 12,
      wallMs: 15,
      memoryBytes: 2_000_000,
      truncated: false,
    };
    const tests = request.job.tests.map((test) => ({
      ...outcome,
      name: test.name,
      verdict: 'accepted' as const,
      points: test.points,
      maxPoints: test.points,
    }));
    const result: HarnessResult = {
      version: 1,
      status: 'ok',
      tests,
      score: tests.reduce((sum, t) => sum + t.points, 0),
      maxScore: tests.reduce((sum, t) => sum + t.maxPoints, 0),
      ...(tests.length === 0 ? { execution: { ...outcome, verdict: 'accepted' as const } } : {}),
    };
    return { kind: 'result', result, raw: { stdoutBytes: 0 } };
  }
  async sweep() {
    return { removed: 0 };
  }
  async health(): Promise<BackendHealth> {
    return { ok: true, backend: this.name, details: {} };
  }
  async close() {}
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let server: RunningServer;
let dir: string;
let studentToken: string;

function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: dir,
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: dir,
          XDG_CONFIG_HOME: join(dir, 'config'),
          APERTURE_SERVER: server.url,
          APERTURE_TOKEN: BOOTSTRAP_TOKEN,
          ...env,
        },
      },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const json = <T>(result: CliResult): T => {
  if (result.code !== 0 && !result.stdout) throw new Error(`exit ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aperture-cli-'));
  const config = loadServerConfig(
    {
      port: 0,
      dataDir: join(dir, 'data'),
      seedDemo: true,
      logLevel: 'silent',
      bootstrapToken: BOOTSTRAP_TOKEN,
    },
    {},
  );
  server = await startServer(config, { executor: new CannedExecutor(), logger: false });
  studentToken = await tokenFor(DEMO_LOGINS.users.student, DEMO_LOGINS.password);
  await writeFile(join(dir, 'hello.py'), 'print("hello")\n');
  await writeFile(join(dir, 'main.py'), 'print("hello")\n');
});

/** A student's token, minted over plain HTTP so the submit test does not depend on `login`. */
async function tokenFor(username: string, password: string): Promise<string> {
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const cookie = login.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  const created = await fetch(`${server.url}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'cli-test' }),
  });
  return ((await created.json()) as { token: string }).token;
}

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('aperture against a real server', () => {
  it('lists languages as JSON', async () => {
    const languages = json<Array<{ id: string }>>(await cli(['languages', '-o', 'json']));
    expect(languages.map((l) => l.id)).toContain('python');
  });

  it('runs a file and prints one JSON object with the verdict and output', async () => {
    const result = await cli(['run', 'hello.py', '--language', 'python', '-o', 'json']);
    expect(result.code).toBe(0);
    const run = json<Record<string, unknown>>(result);
    expect(run).toMatchObject({ status: 'completed', verdict: 'accepted', stdout: 'hello\n', exitCode: 0 });
    for (const field of ['id', 'stderr', 'timeMs', 'memoryBytes', 'score', 'maxScore', 'tests', 'compile'])
      expect(run).toHaveProperty(field);
  });

  it('prints the program output verbatim in text mode and the verdict on stderr', async () => {
    const result = await cli(['run', 'hello.py', '-l', 'python']);
    expect(result).toMatchObject({ code: 0, stdout: 'hello\n' });
    expect(result.stderr).toContain('accepted');
  });

  it('creates, lists and enrolls in courses', async () => {
    const created = await cli(['course', 'create', 'CS101', '--title', 'Intro', '-o', 'json']);
    expect(json<{ code: string }>(created).code).toBe('CS101');
    const list = await cli(['course', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/CS101\s+Intro/);
    expect(list.stdout).toContain('DEMO101');
    const enrolled = await cli(['course', 'enroll', 'CS101', 'ada', '--role', 'ta', '-o', 'json']);
    expect(json<{ role: string; created: boolean }>(enrolled)).toMatchObject({ role: 'ta', created: true });
  });

  it('submits to COURSE/slug and lists the submission', async () => {
    const env = { APERTURE_TOKEN: studentToken };
    const result = await cli(
      ['submit', 'DEMO101/hello', 'main.py', '--language', 'python', '-o', 'json'],
      env,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const run = json<{ id: string; verdict: string; score: number; tests: Array<{ name: string }> }>(result);
    expect(run).toMatchObject({ verdict: 'accepted', score: 1 });
    expect(run.tests[0]?.name).toBe('prints hello');
    const mine = json<Array<{ id: string }>>(
      await cli(['submissions', 'list', 'DEMO101/hello', '-o', 'json'], env),
    );
    expect(mine.map((r) => r.id)).toEqual([run.id]);
    const byStaff = await cli(['submissions', 'list', 'DEMO101/hello', '--user', 'student', '-o', 'json']);
    expect(json<Array<{ id: string }>>(byStaff).map((r) => r.id)).toEqual([run.id]);
    const table = await cli(['submissions', 'list', 'DEMO101/hello'], env);
    expect(table.stdout).toMatch(new RegExp(`${run.id}\\s+\\S+\\s+completed\\s+accepted\\s+1/1`));
  });

  it('creates an assignment from YAML, imports a roster and shows the gradebook', async () => {
    await writeFile(join(dir, 'echo.in'), 'ping\n');
    await writeFile(
      join(dir, 'echo.yaml'),
      'slug: echo\ntitle: Echo\nlanguages: [python]\ntests:\n  - name: one\n    stdinFile: echo.in\n    expectedOutput: "hello\\n"\n    points: 3\n',
    );
    const created = await cli([
      'assignment',
      'create',
      '-f',
      'echo.yaml',
      '--course',
      'DEMO101',
      '-o',
      'json',
    ]);
    expect(json<{ slug: string; tests: Array<{ stdin: string }> }>(created)).toMatchObject({
      slug: 'echo',
      tests: [{ stdin: 'ping\n' }],
    });
    expect((await cli(['assignment', 'list', 'DEMO101'])).stdout).toMatch(/echo\s+Echo\s+python\s+1/);
    await writeFile(join(dir, 'roster.csv'), 'username,name\ngrace,Grace Hopper\n');
    const roster = await cli(['course', 'roster', 'DEMO101', 'roster.csv', '-o', 'json']);
    expect(json<{ created: string[] }>(roster).created).toEqual(['grace']);
    const gradebook = await cli(['gradebook', 'DEMO101', '--csv']);
    expect(gradebook.stdout.split('\r\n')[0]).toBe('username,display_name,hello,sum,echo,total');
    expect(gradebook.stdout).toContain('grace,Grace Hopper');
  });

  it('logs in with the demo password and stores a token the next command uses', async () => {
    const env = { APERTURE_TOKEN: '', APERTURE_PASSWORD: DEMO_LOGINS.password };
    const login = await cli(['login', '--username', 'student', '-o', 'json'], env);
    expect(login.code).toBe(0);
    expect(json<{ username: string }>(login).username).toBe('student');
    const file = join(dir, 'config', 'aperture', 'credentials.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const courses = json<Array<{ code: string; role: string }>>(
      await cli(['course', 'list', '-o', 'json'], env),
    );
    expect(courses).toEqual([expect.objectContaining({ code: 'DEMO101', role: 'student' })]);
    const logout = await cli(['logout'], env);
    expect(logout.code).toBe(0);
  });

  it('exits 2 with a hint when the token is bad', async () => {
    const result = await cli(['course', 'list'], { APERTURE_TOKEN: 'not-a-real-token' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: .*token/m);
    expect(result.stderr).toContain('aperture login');
    expect(result.stderr).not.toContain('    at ');
  });
});
