import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';

const TOKEN = 'recovery-test-token-0123456789';
/** Both server processes are one installation: the second must find what the first left. */
const INSTANCE = `test-recovery-${process.pid}`;
const dataDir = mkdtempSync(join(tmpdir(), 'aperture-recovery-'));
const children: ChildProcess[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A real server process (tsx), so that kill -9 is a real crash. */
async function startServerProcess(port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/testing/server-process.ts'], {
    env: {
      ...process.env,
      APERTURE_PORT: String(port),
      APERTURE_DATA_DIR: dataDir,
      APERTURE_BOOTSTRAP_TOKEN: TOKEN,
      APERTURE_CONCURRENCY: '2',
      APERTURE_POOL_SIZE: '0',
      APERTURE_LOG_LEVEL: 'silent',
      APERTURE_INSTANCE: INSTANCE,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

async function api(url: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return (await response.json()) as any; // biome-ignore lint/suspicious/noExplicitAny: inspected field by field
}

const ourContainers = () =>
  execFileSync(
    'podman',
    ['ps', '--all', '--filter', `label=dev.aperture.instance=${INSTANCE}`, '--format', '{{.Names}}'],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter(Boolean);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('crash recovery (kill -9, real Podman)', () => {
  it('after kill -9 and a restart, every queued or running run ends with exactly one result, and no container is left', async () => {
    const port = await freePort();
    const first = await startServerProcess(port);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const run = await api(first.url, 'POST', '/api/v1/runs', {
        language: 'python',
        files: [{ path: 'main.py', content: `import time\ntime.sleep(2)\nprint("run ${i}")` }],
      });
      ids.push(run.id);
    }
    // Wait until two runs are inside containers, then crash.
    for (let i = 0; i < 300 && ourContainers().length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(ourContainers().length).toBeGreaterThanOrEqual(1);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    expect(ourContainers().length).toBeGreaterThanOrEqual(1); // orphans the restart must clean up

    const second = await startServerProcess(port);
    const finals = [];
    for (const id of ids) finals.push(await api(second.url, 'GET', `/api/v1/runs/${id}?wait=true`));
    expect(finals.map((r) => [r.status, r.verdict, r.stdout])).toEqual(
      ids.map((_, i) => ['completed', 'accepted', `run ${i}\n`]),
    );
    expect(finals.some((r) => r.attempts === 2)).toBe(true);
    const counts = (await api(second.url, 'GET', '/api/v1/system')).runs;
    expect(counts).toMatchObject({ queued: 0, running: 0, completed: 5, failed: 0 });
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
    expect(ourContainers()).toEqual([]);
  }, 120_000);
});
