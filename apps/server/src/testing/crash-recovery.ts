/**
 * The crash-recovery scenario shared by the Podman and Kubernetes suites: a real server process
 * (so kill -9 is a real crash), five runs, a crash while some are inside sandboxes, a restart of
 * the same installation, and the proof that every run ended with exactly one result and no
 * sandbox is left. Each backend says how to list its sandboxes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';

const TOKEN = 'recovery-test-token-0123456789';

export interface CrashRecoveryOptions {
  /** The backend's settings (APERTURE_BACKEND, …) and the instance both processes share. */
  env: Record<string, string>;
  /** Names of this installation's sandboxes still present (containers, Jobs). */
  sandboxes: () => Promise<string[]>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startServerProcess(
  port: number,
  dataDir: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/testing/server-process.ts'], {
    env: {
      ...process.env,
      APERTURE_PORT: String(port),
      APERTURE_DATA_DIR: dataDir,
      APERTURE_BOOTSTRAP_TOKEN: TOKEN,
      APERTURE_CONCURRENCY: '2',
      // One user's runs fill both slots (no slot held back for a newcomer): the crash must catch
      // two runs inside sandboxes.
      APERTURE_RESERVED_SLOTS: '0',
      APERTURE_POOL_SIZE: '0',
      APERTURE_LOG_LEVEL: 'silent',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
  // biome-ignore lint/suspicious/noExplicitAny: API answers are inspected field by field
  return (await response.json()) as any;
}

const exited = (child: ChildProcess) => new Promise((resolve) => child.once('exit', resolve));

export async function crashAndRecover({ env, sandboxes }: CrashRecoveryOptions): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'aperture-recovery-'));
  const children: ChildProcess[] = [];
  try {
    const port = await freePort();
    const first = await startServerProcess(port, dataDir, env);
    children.push(first.child);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const run = await api(first.url, 'POST', '/api/v1/runs', {
        language: 'python',
        // Long enough that a run started before the crash is still in its sandbox after two slow `podman ps`.
        files: [{ path: 'main.py', content: `import time\ntime.sleep(4)\nprint("run ${i}")` }],
      });
      ids.push(run.id);
    }
    // Wait until two runs are inside sandboxes, then crash.
    for (let i = 0; i < 300 && (await sandboxes()).length < 2; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect((await sandboxes()).length).toBeGreaterThanOrEqual(1);
    first.child.kill('SIGKILL');
    await exited(first.child);
    expect((await sandboxes()).length).toBeGreaterThanOrEqual(1); // orphans the restart must clean up

    const second = await startServerProcess(port, dataDir, env);
    children.push(second.child);
    const finals = [];
    for (const id of ids) finals.push(await api(second.url, 'GET', `/api/v1/runs/${id}?wait=true`));
    expect(finals.map((r) => [r.status, r.verdict, r.stdout])).toEqual(
      ids.map((_, i) => ['completed', 'accepted', `run ${i}\n`]),
    );
    expect(finals.some((r) => r.attempts === 2)).toBe(true);
    const counts = (await api(second.url, 'GET', '/api/v1/system')).runs;
    expect(counts).toMatchObject({ queued: 0, running: 0, completed: 5, failed: 0 });
    second.child.kill('SIGTERM');
    await exited(second.child);
    expect(await sandboxes()).toEqual([]);
  } finally {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}
