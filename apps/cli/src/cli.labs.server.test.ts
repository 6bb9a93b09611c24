/**
 * `aperture create` and `aperture lab …` as a user types them (the CLI as a child process) against
 * a real server and SQLite store. The engine is the server's FakeLabBackend: the subject is the
 * CLI's commands, waits, exit codes and output (labs-flow.podman.test.ts runs the flow on Podman).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEMO_LOGINS, loadServerConfig, type RunningServer, startServer } from '@aperture/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeLabBackend } from '../../server/src/testing/fake-lab-backend.ts';
import { ScriptedExecutor } from '../../server/src/testing/scripted-executor.ts';

const BIN = resolve(import.meta.dirname, '../bin/aperture.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let server: RunningServer;
let backend: FakeLabBackend;
let dir: string;
let token: string;

function cli(args: string[]): Promise<CliResult> {
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
          APERTURE_TOKEN: token,
          APERTURE_COURSE: 'DEMO101',
        },
      },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const json = <T>(result: CliResult): T => {
  if (!result.stdout) throw new Error(`exit ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aperture-cli-labs-'));
  const config = loadServerConfig(
    { port: 0, dataDir: join(dir, 'data'), seedDemo: true, logLevel: 'silent', labCheckTimeoutSeconds: 1 },
    {},
  );
  backend = new FakeLabBackend();
  server = await startServer(config, {
    executor: new ScriptedExecutor(),
    labBackend: backend,
    logger: false,
  });
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: DEMO_LOGINS.users.instructor, password: DEMO_LOGINS.password }),
  });
  const cookie = login.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  const created = await fetch(`${server.url}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'cli-labs' }),
  });
  token = ((await created.json()) as { token: string }).token;
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('aperture lab against a real server', () => {
  it('create → checkpoint → publish → deploy → status → reset → destroy', async () => {
    const created = await cli(['create', 'webserver', '--cpu', '1', '--memory', '1Gi', '--storage', '2Gi']);
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toMatch(/^created lab webserver \(lab_\S+\); dev copy: ready/);

    const list = await cli(['lab', 'list']);
    expect(list.stdout).toMatch(/webserver\s+lab_\S+\s+0\s+0\s+1/);

    const checkpoint = await cli(['lab', 'checkpoint', 'webserver']);
    expect(checkpoint.stdout).toMatch(/^checkpointed version [0-9a-f]{12} \(draft\); 2 image\(s\) pinned/);
    expect((await cli(['lab', 'checkpoint', 'webserver'])).stdout).toMatch(/^already checkpointed:/);

    const publish = await cli(['lab', 'publish', 'webserver']);
    expect(publish.code).toBe(0);
    expect(publish.stdout).toMatch(/: published\n {2}ok {3}#0 web http: .*\n {2}ok {3}#1 shell exec/);

    const deploy = await cli(['lab', 'deploy', 'webserver']);
    expect(deploy.code).toBe(0);
    // Each student's progress on stderr, the class's table on stdout.
    expect(deploy.stderr).toMatch(/^student: ready$/m);
    expect(deploy.stderr).toMatch(/^student2: ready$/m);
    expect(deploy.stdout).toMatch(
      /^webserver course deployment ldp_\S+ \(version [0-9a-f]{12}\): active: 2 ready/,
    );
    const deploymentId = /deployment (ldp_\S+)/.exec(deploy.stdout)?.[1];
    const view = json<{ deployment: { id: string } }>(
      await cli(['lab', 'status', 'webserver', '-o', 'json']),
    );
    expect(view.deployment.id).toBe(deploymentId);

    const status = await cli(['lab', 'status', 'webserver']);
    expect(status.stdout).toMatch(/student\s+ready\s+ready\s+web 1\/1, shell 1\/1/);
    expect(status.stdout).toMatch(/student2\s+ready/);

    const reset = await cli(['lab', 'reset', 'webserver', '--student', 'student2']);
    expect(reset).toMatchObject({ code: 0, stdout: 'student2: ready\n' });
    expect(backend.calls).toContain(`reset ${view.deployment.id} student2`);

    const refused = await cli(['lab', 'destroy', 'webserver']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes is required');
    const destroy = await cli(['lab', 'destroy', 'webserver', '--yes']);
    expect(destroy.code).toBe(0);
    expect(destroy.stdout).toMatch(
      /^destroyed ldp_\S+: 2 object\(s\) deleted in \d+ ms, verified: nothing left/,
    );

    const unconfirmed = await cli(['lab', 'delete', 'webserver']);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('--yes is required');
    const deleted = await cli(['lab', 'delete', 'webserver', '--yes']);
    expect(deleted).toMatchObject({ code: 0 });
    expect(deleted.stdout).toMatch(/^deleted lab webserver \(lab_\S+\)$/m);
    expect(deleted.stderr).toContain('webserver: deleting (its dev copy is torn down first)');
    expect((await cli(['lab', 'list'])).stdout).not.toMatch(/^webserver\s/m);
    expect((await cli(['lab', 'status', 'webserver'])).code).not.toBe(0);
  });

  it('apply -f creates, then updates the dev template; diff shows the change; failed checks exit 1', async () => {
    const template = (await cli(['lab', 'template', 'shell', '--name', 'sh', '--storage', '0'])).stdout;
    await writeFile(join(dir, 'sh.yaml'), template);
    expect((await cli(['lab', 'apply', '-f', 'sh.yaml'])).stdout).toMatch(/^created lab sh /);
    const first = json<{ id: string }>(await cli(['lab', 'checkpoint', 'sh', '-o', 'json']));
    await writeFile(join(dir, 'sh.yaml'), template.replace(/description: .*/, 'description: edited'));
    expect((await cli(['lab', 'apply', '-f', 'sh.yaml'])).stdout).toMatch(/^updated lab sh /);
    const diff = await cli(['lab', 'diff', 'sh', first.id.slice(7, 19)]);
    expect(diff.stdout).toContain('metadata.description  changed');
    await writeFile(join(dir, 'bad.yaml'), template.replace('cpu: "1"', 'cpu: lots'));
    const bad = await cli(['lab', 'apply', '-f', 'bad.yaml']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('spec.resources.cpu');

    backend.execExitCode = 1;
    try {
      await cli(['lab', 'checkpoint', 'sh']);
      const failed = await cli(['lab', 'publish', 'sh']);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(/: check_failed\n {2}FAIL #0 shell exec/);
    } finally {
      backend.execExitCode = 0;
    }
    const versions = await cli(['lab', 'versions', 'sh']);
    expect(versions.stdout).toMatch(/check_failed\s+0\/1 passed/);
    expect(versions.stdout).toMatch(/draft/);
  });
});
