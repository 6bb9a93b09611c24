import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * deploy/systemd/aperture.service: systemd itself checks the unit (systemd-analyze verify), it
 * restarts on any exit and never gives up, and the command it runs starts a real server, which
 * after a crash (SIGKILL) starts again on the same data and answers.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const UNIT = readFileSync(join(ROOT, 'deploy/systemd/aperture.service'), 'utf8');
/** The unit, pointed at this checkout instead of /opt/aperture. */
const LOCAL_UNIT = UNIT.replaceAll('/opt/aperture', ROOT);

const directive = (name: string) =>
  LOCAL_UNIT.split('\n')
    .filter((line) => line.startsWith(`${name}=`))
    .map((line) => line.slice(name.length + 1));

describe('the systemd unit', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('passes systemd-analyze verify', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aperture-unit-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'aperture.service'), LOCAL_UNIT);
    // Throws (with systemd's complaint) on any error in the unit.
    execFileSync('systemd-analyze', ['verify', '--man=no', join(dir, 'aperture.service')], { stdio: 'pipe' });
  });

  it('restarts after any exit, and never stops trying', () => {
    expect(directive('Restart')).toEqual(['always']);
    expect(directive('StartLimitIntervalSec')).toEqual(['0']);
    expect(directive('KillSignal')).toEqual(['SIGTERM']);
  });

  it('its command starts the server; after a crash the same command serves the same data again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aperture-unit-data-'));
    dirs.push(dataDir);
    const [command, ...args] = directive('ExecStart')[0]!.split(' ');
    const environment = Object.fromEntries(directive('Environment').map((pair) => pair.split('=', 2)));
    const port = await freePort();
    const start = () => {
      const child = spawn(command!, args, {
        cwd: directive('WorkingDirectory')[0],
        env: {
          ...process.env,
          ...environment,
          APERTURE_DATA_DIR: dataDir,
          APERTURE_PORT: String(port),
          APERTURE_BOOTSTRAP_TOKEN: 'unit-test-bootstrap-token-0123',
          APERTURE_INSTANCE: `unit-${process.pid}`,
          APERTURE_LOG_LEVEL: 'warn',
        },
        stdio: 'ignore',
      });
      children.push(child);
      return child;
    };
    const first = start();
    await healthy(port);
    const created = await fetch(`http://127.0.0.1:${port}/api/v1/courses`, {
      method: 'POST',
      headers: { authorization: 'Bearer unit-test-bootstrap-token-0123', 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'UNIT1', title: 'Survives a crash' }),
    });
    expect(created.status).toBe(201);
    first.kill('SIGKILL');
    await new Promise((done) => first.once('exit', done));
    const second = start(); // what systemd does after RestartSec
    await healthy(port);
    const courses = await fetch(`http://127.0.0.1:${port}/api/v1/courses`, {
      headers: { authorization: 'Bearer unit-test-bootstrap-token-0123' },
    });
    expect(JSON.stringify(await courses.json())).toContain('UNIT1');
    second.kill('SIGTERM');
    await new Promise((done) => second.once('exit', done));
  }, 120_000);
});

async function healthy(port: number): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`the server on port ${port} did not answer /healthz within 90 s`);
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}
