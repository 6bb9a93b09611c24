/**
 * The whole lab flow over HTTP on real Podman with the real lab images (scripts/build-images.sh
 * lab-shell lab-nginx): create a webserver lab → dev copy ready → checkpoint (real digests) →
 * publish (the checks really run in a throw-away copy) → deploy to the demo course → every student
 * ready → reset one (their files are gone) → destroy with a verified receipt and nothing left.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { LABEL_INSTANCE } from '@aperture/backend-kubernetes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLabFlow } from './testing/lab-flow.ts';
import { ScriptedExecutor } from './testing/scripted-executor.ts';
import { startTestServer, type TestServer } from './testing/test-server.ts';

const run = promisify(execFile);
const INSTANCE = `labflow-${randomBytes(3).toString('hex')}`;

async function podman(...args: string[]): Promise<string[]> {
  const { stdout } = await run('podman', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.split('\n').filter(Boolean);
}

/** Everything of this test's instance Podman still has. */
async function leftovers(): Promise<string[]> {
  const filter = ['--filter', `label=${LABEL_INSTANCE}=${INSTANCE}`];
  return [
    ...(await podman('ps', '--all', '--quiet', ...filter)),
    ...(await podman('volume', 'ls', '--quiet', ...filter)),
    ...(await podman('network', 'ls', '--quiet', ...filter)),
  ];
}

async function sweep(): Promise<void> {
  const filter = ['--filter', `label=${LABEL_INSTANCE}=${INSTANCE}`];
  const containers = await podman('ps', '--all', '--quiet', ...filter);
  if (containers.length > 0) await podman('rm', '--force', '--time', '0', ...containers);
  const volumes = await podman('volume', 'ls', '--quiet', ...filter);
  if (volumes.length > 0) await podman('volume', 'rm', '--force', ...volumes);
  const networks = await podman('network', 'ls', '--quiet', ...filter);
  if (networks.length > 0) await podman('network', 'rm', '--force', ...networks);
}

let t: TestServer;

// Each step may wait up to 240 s (stepSeconds), so the whole flow gets room for several slow ones.
describe('the lab flow on Podman', { timeout: 900_000 }, () => {
  beforeAll(async () => {
    for (const image of ['lab-shell', 'lab-nginx'])
      await podman('image', 'exists', `localhost/aperture/${image}:latest`).catch(() => {
        throw new Error('missing image; run: bash scripts/build-images.sh lab-shell lab-nginx');
      });
    t = await startTestServer(new ScriptedExecutor(), { instance: INSTANCE, labReconcileSeconds: 3600 });
  });
  afterAll(async () => {
    await t?.close();
    await sweep();
  });

  it('create → checkpoint → publish → deploy → reset → stop and open → destroy', async () => {
    const times = await runLabFlow(t, { cpu: '1', memory: '1Gi', storage: '1Gi', stepSeconds: 240 });
    expect(await leftovers()).toEqual([]);
    console.info('lab flow on Podman (ms):', JSON.stringify(times));
  });
});
