import { type ChildProcess, spawn } from 'node:child_process';
import { type AddressInfo, createServer, connect as netConnect, type Server } from 'node:net';
import { Duplex } from 'node:stream';
import { type LabAccess, UnavailableError } from '@aperture/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DEMO_COURSE, DEMO_PASSWORD } from './demo-seed.ts';
import { FakeLabBackend } from './testing/fake-lab-backend.ts';
import { ScriptedExecutor } from './testing/scripted-executor.ts';
import { startTestServer, type TestServer } from './testing/test-server.ts';

/**
 * Browser access through the whole server: the real LabService decides who may open which copy
 * (a course deployment of a `desktop` lab), the routes reach the copy through the backend's
 * LabAccess. The engine's provisioning is FakeLabBackend's; its terminal is a real `sh` and its
 * VNC port a real TCP echo server, so every byte crosses real sockets.
 */
/** FakeLabBackend's provisioning, with a LabAccess over real sockets. */
function socketLabBackend(vncServer: Server) {
  const fake = new FakeLabBackend();
  const shells: ChildProcess[] = [];
  const ports: number[] = [];
  /** The next this many VNC connects are refused (a desktop whose VNC server is still starting). */
  const refusals = { count: 0 };
  const access: Pick<LabAccess, 'openTerminal' | 'connect'> = {
    openTerminal: async () => {
      const child = spawn('sh', ['-s'], { stdio: ['pipe', 'pipe', 'ignore'] });
      shells.push(child);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
      return { stream, resize: () => undefined, exited, close: () => child.kill('SIGHUP') };
    },
    connect: async (_target, port) => {
      if (port !== 5901) return fake.connect();
      ports.push(port);
      if (refusals.count > 0) {
        refusals.count--;
        throw new UnavailableError('port 5901 of the lab component does not answer: connect ECONNREFUSED');
      }
      const socket = netConnect((vncServer.address() as AddressInfo).port, '127.0.0.1');
      await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      return socket;
    },
  };
  // The fake's own terminal is typed `never` (it has none): replace its access side wholesale.
  Object.assign(fake, access);
  return { backend: fake, shells, ports, refusals };
}

let t: TestServer;
let backend: ReturnType<typeof socketLabBackend>;
let vnc: Server;
const BLAST = 64 * 1024 * 1024;
let blasted = 0;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};
let deploymentId: string;
let devDeploymentId: string;

beforeAll(async () => {
  // An echo server, or (sent `BLAST`) a screen that never stops changing: 64 MiB as fast as it may.
  vnc = createServer((socket) => {
    socket.once('data', (first) => {
      if (first.toString() !== 'BLAST') {
        socket.write(first);
        socket.pipe(socket);
        return;
      }
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        while (blasted < BLAST) {
          blasted += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
        socket.end();
      };
      pump();
    });
  });
  await new Promise<void>((resolve) => vnc.listen(0, '127.0.0.1', resolve));
  backend = socketLabBackend(vnc);
  t = await startTestServer(
    new ScriptedExecutor(),
    { labReconcileSeconds: 3600 },
    { labBackend: backend.backend },
  );
  for (const name of ['instructor', 'student', 'student2']) {
    tokens[name] = await t.login(name, DEMO_PASSWORD);
    ids[name] = (await t.api(tokens[name], 'GET', '/api/v1/me')).body.id;
  }
  const settle = () => t.server.ctx.labs.worker.idle();
  const lab = await t.api(tokens['instructor'], 'POST', `/api/v1/courses/${DEMO_COURSE}/labs`, {
    type: 'desktop',
    cpu: 1,
    memory: '1Gi',
    storage: '1Gi',
  });
  devDeploymentId = lab.body.dev.deployment.id;
  await settle();
  const version = await t.api(tokens['instructor'], 'POST', `/api/v1/labs/${lab.body.lab.id}/checkpoint`);
  const versionPath = `/api/v1/labs/${lab.body.lab.id}/versions/${encodeURIComponent(version.body.id)}`;
  await t.api(tokens['instructor'], 'POST', `${versionPath}/publish`);
  await settle();
  const deployed = await t.api(tokens['instructor'], 'POST', `/api/v1/labs/${lab.body.lab.id}/deployments`, {
    version: version.body.id,
  });
  expect(deployed.status).toBe(202);
  deploymentId = deployed.body.deployment.id;
  await settle();
});

afterAll(async () => {
  for (const child of backend?.shells ?? []) child.kill('SIGKILL');
  await t?.close();
  vnc?.close();
});

const url = (deployment: string, user: string, kind: 'terminal' | 'vnc') =>
  `${t.url.replace('http', 'ws')}/api/v1/lab-deployments/${deployment}/students/${user}/components/desktop/${kind}`;

function open(address: string, token: string): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(address, { headers: { authorization: `Bearer ${token}` } });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('error', reject);
  });
}

async function roundTrip(socket: WebSocket, send: string, expected: string): Promise<void> {
  let seen = '';
  socket.on('message', (data, binary) => {
    if (binary) seen += data.toString();
  });
  socket.send(Buffer.from(send));
  await expect.poll(() => seen, { timeout: 5000 }).toContain(expected);
}

describe('lab access through LabService', () => {
  it('a student opens the terminal and the desktop of their own copy', async () => {
    const terminal = await open(url(deploymentId, ids['student']!, 'terminal'), tokens['student']!);
    if (typeof terminal === 'number') throw new Error(`terminal refused: ${terminal}`);
    await roundTrip(terminal, 'echo hello-$((6*7))\n', 'hello-42');
    terminal.close();
    const desktop = await open(url(deploymentId, ids['student']!, 'vnc'), tokens['student']!);
    if (typeof desktop === 'number') throw new Error(`vnc refused: ${desktop}`);
    await roundTrip(desktop, 'RFB 003.008\n', 'RFB 003.008');
    expect(backend.ports).toContain(5901);
    desktop.close();
  });

  it('a desktop whose VNC server is still starting is connected once it listens', async () => {
    backend.refusals.count = 3;
    const desktop = await open(url(deploymentId, ids['student']!, 'vnc'), tokens['student']!);
    if (typeof desktop === 'number') throw new Error(`vnc refused: ${desktop}`);
    await roundTrip(desktop, 'RFB 003.008\n', 'RFB 003.008');
    expect(backend.refusals.count).toBe(0);
    desktop.close();
  });

  it('another student is refused (403); course staff may open any copy', async () => {
    expect(await open(url(deploymentId, ids['student']!, 'terminal'), tokens['student2']!)).toBe(403);
    expect(await open(url(devDeploymentId, ids['instructor']!, 'terminal'), tokens['student']!)).toBe(403);
    const staff = await open(url(deploymentId, ids['student']!, 'vnc'), tokens['instructor']!);
    expect(staff).toBeInstanceOf(WebSocket);
    (staff as WebSocket).close();
  });

  it('a browser that stops reading holds the lab back (backpressure), and loses nothing', async () => {
    const socket = await open(url(deploymentId, ids['student']!, 'vnc'), tokens['student']!);
    if (typeof socket === 'number') throw new Error(`vnc refused: ${socket}`);
    let received = 0;
    socket.on('message', (data: Buffer) => {
      received += data.length;
    });
    // Stop reading at the first frame (not when a poll next looks): the test is what Aperture buffers meanwhile.
    socket.once('message', () => socket.pause());
    socket.send(Buffer.from('BLAST'));
    await expect.poll(() => received, { timeout: 5000 }).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const written = blasted;
    // Without backpressure Aperture would have read all 64 MiB into memory by now.
    expect(written).toBeLessThan(BLAST / 2);
    socket.resume();
    await expect.poll(() => received, { timeout: 30_000 }).toBe(BLAST);
    process.stderr.write(
      `backpressure: ${(written / 1024 / 1024).toFixed(1)} MiB left the lab while the browser read nothing\n`,
    );
    socket.close();
  });

  it('the HTTP proxy refuses a port the component does not expose', async () => {
    const response = await t.api(
      tokens['student'],
      'GET',
      `/labs/${deploymentId}/${ids['student']}/desktop/8080/`,
    );
    expect(response.status).toBe(400);
    expect(response.body.error.details.field).toBe('port');
  });
});
