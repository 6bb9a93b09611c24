/** GET /api/v1/labs/capabilities: what the lab engine offers, so the UI shows only what works. */
import type { LabCapabilities } from '@aperture/core';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from './demo-seed.ts';
import { FakeLabBackend } from './testing/fake-lab-backend.ts';
import { ScriptedExecutor } from './testing/scripted-executor.ts';
import { startTestServer, type TestServer } from './testing/test-server.ts';

class CapableBackend extends FakeLabBackend {
  constructor(private readonly answer: () => Promise<LabCapabilities>) {
    super();
  }
  capabilities(): Promise<LabCapabilities> {
    return this.answer();
  }
}

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function capabilitiesWith(labBackend: FakeLabBackend) {
  t = await startTestServer(new ScriptedExecutor(), {}, { labBackend });
  const instructor = await t.login('instructor', DEMO_PASSWORD);
  expect((await t.api(undefined, 'GET', '/api/v1/labs/capabilities')).status).toBe(401);
  return t.api(instructor, 'GET', '/api/v1/labs/capabilities');
}

describe('lab capabilities', () => {
  it('a provisioner without capabilities (Podman) offers neither', async () => {
    const answer = await capabilitiesWith(new FakeLabBackend());
    expect([answer.status, answer.body]).toEqual([
      200,
      { backend: 'fake', kubevirt: false, volumeSnapshots: false },
    ]);
  });

  it("the provisioner's answer (Kubernetes: from discovery)", async () => {
    const answer = await capabilitiesWith(
      new CapableBackend(async () => ({ kubevirt: true, volumeSnapshots: true })),
    );
    expect(answer.body).toEqual({ backend: 'fake', kubevirt: true, volumeSnapshots: true });
  });

  it('discovery failing offers nothing rather than failing the page', async () => {
    const answer = await capabilitiesWith(
      new CapableBackend(async () => {
        throw new Error('connect ECONNREFUSED');
      }),
    );
    expect([answer.status, answer.body]).toEqual([
      200,
      { backend: 'fake', kubevirt: false, volumeSnapshots: false },
    ]);
  });
});
