/**
 * kill -9 in the middle of lab work, on real Podman: a real server process deploys a published
 * lab to the demo course and destroys the dev copy, and dies at once; a second process on the
 * same database and Podman resumes both (its reconciler's first tick), so every copy ends ready,
 * the dev copy destroyed with a verified receipt, and after the final destroy nothing is left.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { LABEL_INSTANCE } from '@aperture/backend-kubernetes';
import { LABEL_DEPLOYMENT_ID } from '@aperture/backend-podman';
import { createStore } from '@aperture/storage';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_COURSE } from './demo-seed.ts';

const run = promisify(execFile);
const TOKEN = 'lab-recovery-token-0123456789';
const INSTANCE = `labcrash-${randomBytes(3).toString('hex')}`;
const dataDir = mkdtempSync(join(tmpdir(), 'aperture-lab-crash-'));
const children: ChildProcess[] = [];
const enc = encodeURIComponent;

async function podman(...args: string[]): Promise<string[]> {
  return (await run('podman', args)).stdout.split('\n').filter(Boolean);
}

const filter = ['--filter', `label=${LABEL_INSTANCE}=${INSTANCE}`];
const leftovers = async () => [
  ...(await podman('ps', '--all', '--quiet', ...filter)),
  ...(await podman('volume', 'ls', '--quiet', ...filter)),
  ...(await podman('network', 'ls', '--quiet', ...filter)),
];

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  const containers = await podman('ps', '--all', '--quiet', ...filter);
  if (containers.length > 0) await podman('rm', '--force', '--time', '0', ...containers);
  const volumes = await podman('volume', 'ls', '--quiet', ...filter);
  if (volumes.length > 0) await podman('volume', 'rm', '--force', ...volumes);
  const networks = await podman('network', 'ls', '--quiet', ...filter);
  if (networks.length > 0) await podman('network', 'rm', '--force', ...networks);
  rmSync(dataDir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startServerProcess(port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/testing/server-process.ts'], {
    env: {
      ...process.env,
      APERTURE_PORT: String(port),
      APERTURE_DATA_DIR: dataDir,
      APERTURE_BOOTSTRAP_TOKEN: TOKEN,
      APERTURE_INSTANCE: INSTANCE,
      APERTURE_SEED_DEMO: '1',
      APERTURE_LOG_LEVEL: 'silent',
      APERTURE_LAB_RECONCILE_SECONDS: '2',
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
  // biome-ignore lint/suspicious/noExplicitAny: API answers are inspected field by field
  return (await response.json()) as any;
}

// biome-ignore lint/suspicious/noExplicitAny: API answers are inspected field by field
async function until(url: string, path: string, done: (body: any) => boolean, seconds = 180) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const body = await api(url, 'GET', path);
    if (done(body)) return body;
    if (Date.now() > deadline)
      throw new Error(`${path} not done after ${seconds} s: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('lab recovery after kill -9 (Podman)', { timeout: 400_000 }, () => {
  it('a restarted server finishes the deploy and the destroy the killed one had started', async () => {
    const port = await freePort();
    const first = await startServerProcess(port);
    const created = await api(first.url, 'POST', `/api/v1/courses/${DEMO_COURSE}/labs`, {
      type: 'webserver',
      cpu: '1',
      memory: '512Mi',
      storage: '1Gi',
    });
    const labId: string = created.lab.id;
    const devId: string = created.dev.deployment.id;
    await until(first.url, `/api/v1/labs/${labId}`, (lab) => lab.dev?.students[0]?.live === 'ready');
    const version = await api(first.url, 'POST', `/api/v1/labs/${labId}/checkpoint`);
    await api(first.url, 'POST', `/api/v1/labs/${labId}/versions/${enc(version.id)}/publish`);
    await until(
      first.url,
      `/api/v1/labs/${labId}/versions/${enc(version.id)}`,
      (v) => v.state !== 'checking',
    );

    const deployed = await api(first.url, 'POST', `/api/v1/labs/${labId}/deployments`, {
      version: version.id,
    });
    const deploymentId: string = deployed.deployment.id;
    await api(first.url, 'DELETE', `/api/v1/lab-deployments/${devId}`);
    // Crash while the class's copies are being made: once the first container of the deployment exists.
    const ofDeployment = ['--filter', `label=${LABEL_DEPLOYMENT_ID}=${deploymentId}`];
    for (let i = 0; i < 300 && (await podman('ps', '--all', '--quiet', ...ofDeployment)).length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    // What the crash left, as the store has it: the deploy half done, the dev copy being destroyed.
    const store = await createStore({ sqlitePath: join(dataDir, 'aperture.sqlite') });
    try {
      expect((await store.labDeployments.get(deploymentId))?.state).toBe('deploying');
      expect(['destroying', 'destroyed']).toContain((await store.labDeployments.get(devId))?.state);
    } finally {
      await store.close();
    }

    const second = await startServerProcess(port);
    const view = await until(
      second.url,
      `/api/v1/lab-deployments/${deploymentId}`,
      (v) => v.deployment.state === 'active' && v.students.every((s: { live: string }) => s.live === 'ready'),
    );
    expect(
      view.students.map((s: { username: string; state: string }) => [s.username, s.state]).sort(),
    ).toEqual([
      ['student', 'ready'],
      ['student2', 'ready'],
    ]);
    const dev = await until(
      second.url,
      `/api/v1/lab-deployments/${devId}`,
      (v) => v.deployment.state === 'destroyed',
    );
    expect(dev.deployment.teardown).toMatchObject({ verified: true, remaining: [], errors: [] });

    await api(second.url, 'DELETE', `/api/v1/lab-deployments/${deploymentId}`);
    const destroyed = await until(
      second.url,
      `/api/v1/lab-deployments/${deploymentId}`,
      (v) => v.deployment.state === 'destroyed',
    );
    expect(destroyed.deployment.teardown.verified).toBe(true);
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
    expect(await leftovers()).toEqual([]);
  });
});
