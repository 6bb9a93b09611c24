import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { runDoctor } from './doctor.ts';
import { CHECKS } from './report.ts';

function kubeConfigFor(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: false }],
    users: [{ name: 'u', token: 'not-a-real-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

const sockets: Socket[] = [];
let silent: Server | undefined;

afterAll(() => {
  for (const s of sockets) s.destroy();
  silent?.close();
});

describe('runDoctor without a cluster', () => {
  it('a closed port: the API line fails with a hint, every other line is "not checked"', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as { port: number };
    probe.close();
    await once(probe, 'close');

    const report = await runDoctor({ kubeConfig: kubeConfigFor(`https://127.0.0.1:${port}`) });
    expect(report).toMatchObject({
      context: 'ctx',
      namespace: 'aperture-runs',
      server: `https://127.0.0.1:${port}`,
    });
    expect(report.checks[0]).toMatchObject({
      id: 'api',
      status: 'fail',
      detail: expect.stringContaining('ECONNREFUSED'),
    });
    expect(report.checks[0]?.hint).toContain('6443');
    expect(report.summary).toEqual({ pass: 0, warn: 0, fail: Object.keys(CHECKS).length });
  });

  it('a server that accepts and never answers: the deadline ends it', async () => {
    silent = createServer((socket) => sockets.push(socket));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as { port: number };
    const started = Date.now();
    const report = await runDoctor({
      kubeConfig: kubeConfigFor(`https://127.0.0.1:${port}`),
      timeoutMs: 300,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(report.checks[0]).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('no answer in time'),
    });
    expect(report.checks[0]?.hint).toMatch(/firewall/);
  });
});
